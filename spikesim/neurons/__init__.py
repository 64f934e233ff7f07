"""Neuron models: one file each, with the equations and the source paper in the docstring.
Write your own by subclassing :class:`NeuronModel` (see :mod:`spikesim.neurons.base`)."""
from .base import ModelError, NeuronModel
from .hodgkin_huxley import HodgkinHuxley
from .izhikevich import Izhikevich
from .lif import LIF

NeuronGroup = NeuronModel   # the name before the model contract

__all__ = ["ModelError", "NeuronModel", "NeuronGroup", "HodgkinHuxley", "Izhikevich", "LIF"]
