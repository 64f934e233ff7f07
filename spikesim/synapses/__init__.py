"""Postsynaptic models, one file each (the contract: :mod:`spikesim.synapses.base`).

``target="v" | "I" | "I_syn"`` in ``Network.connect`` are shorthands for ``Delta("v")``,
``Pulse()`` and ``Exponential(tau=<post's tau_syn>, charge="sample")``."""
from .alpha import Alpha
from .base import SynapseModel
from .conductance import AlphaConductance, Conductance
from .continuous import ContinuousModel, GapJunction, LinearCoupling, LinearRateCoupling, RateCoupling
from .delta import Delta
from .exponential import Exponential
from .pulse import Pulse
from .stp import TsodyksMarkram

__all__ = ["Alpha", "AlphaConductance", "Conductance", "ContinuousModel", "GapJunction", "LinearCoupling", "LinearRateCoupling", "RateCoupling", "Delta", "Exponential", "Pulse", "SynapseModel", "TsodyksMarkram"]
