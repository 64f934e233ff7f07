"""Input populations (``ss.inputs.SpikeSource``, ``ss.inputs.Poisson``)."""
from spikesim.core.inputs import Poisson, SpikeSource
from spikesim.core.noise import GaussianCurrent

__all__ = ["GaussianCurrent", "Poisson", "SpikeSource"]
