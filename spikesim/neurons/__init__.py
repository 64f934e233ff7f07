"""Neuron models: one file each, with the equations and the source paper in the docstring.
Write your own by subclassing :class:`NeuronModel` (see :mod:`spikesim.neurons.base`)."""
from .base import ModelError, NeuronModel
from .izhikevich import Izhikevich
from .lif import LIF

NeuronGroup = NeuronModel   # the name before the model contract

__all__ = ["ModelError", "NeuronModel", "NeuronGroup", "Izhikevich", "LIF"]
