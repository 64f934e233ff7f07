"""Neuron models: one file each, with the equations and the source paper in the docstring.
Write your own by subclassing :class:`NeuronModel` (see :mod:`spikesim.neurons.base`), or build
one from Brian2 equations with :func:`from_brian2`."""
from .adex import AdEx
from .alif import ALIF
from .base import ModelError, NeuronModel
from .brian2_import import from_brian2
from .current_probe import CurrentProbe
from .dsr import DSRNeuron
from .eif import EIF
from .hodgkin_huxley import HodgkinHuxley
from .izhikevich import Izhikevich
from .lif import LIF
from .max_readout import MaxReadout
from .nir_cuba import NIRCuba
from .nir_leaky import NIRLeaky
from .qif import QIF
from .rate import TanhRate
from .subspace import SubspaceNeuron
from .window_rate import WindowRate
from .windowed_lif import WindowedLIF

NeuronGroup = NeuronModel   # the name before the model contract

__all__ = ["ALIF", "AdEx", "CurrentProbe", "DSRNeuron", "EIF", "ModelError", "NeuronModel", "NeuronGroup", "HodgkinHuxley", "Izhikevich", "LIF",
           "MaxReadout", "NIRCuba", "NIRLeaky", "QIF", "SubspaceNeuron", "TanhRate", "WindowRate",
           "WindowedLIF", "from_brian2"]
