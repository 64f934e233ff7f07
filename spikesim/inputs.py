"""Input populations (``ss.inputs.SpikeSource``, ``ss.inputs.Poisson``)."""
from spikesim.core.inputs import Poisson, PoissonInput, SpikeSource
from spikesim.core.channels import ChannelCurrent
from spikesim.core.noise import GaussianCurrent

__all__ = ["ChannelCurrent", "GaussianCurrent", "Poisson", "PoissonInput", "SpikeSource"]
