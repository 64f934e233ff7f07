"""Plasticity rules. The core's rules (STDP, reward-modulated STDP) run inside the compiled
loop; the paradigm rules (three-factor readouts, two-factor consolidation, Oja subspace, RLS)
are plain maths compiled into the drivers that use them."""
from .stdp import STDP, RewardModulatedSTDP

__all__ = ["STDP", "RewardModulatedSTDP"]
