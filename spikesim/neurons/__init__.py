"""Neuron models: one file each, with the equations and the source paper in the docstring."""
from .base import NeuronGroup
from .izhikevich import Izhikevich
from .lif import LIF

__all__ = ["NeuronGroup", "Izhikevich", "LIF"]
