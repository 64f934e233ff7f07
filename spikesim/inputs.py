"""Input populations (``ss.inputs.SpikeSource``, ``ss.inputs.Poisson``)."""
from spikesim.core.inputs import Poisson, SpikeSource

__all__ = ["Poisson", "SpikeSource"]
