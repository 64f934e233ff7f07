"""Plasticity rules of the core, written once as scalar hooks (:mod:`.base`) and generated into
every backend's loop: additive and multiplicative pair STDP, reward-modulated STDP, triplet
STDP, and users' own rules. The readout rules (gated three-factor NLMS, RLS) run as core
readouts (:mod:`spikesim.core.readout`); the two-factor consolidation and the Oja subspace rule
are plain maths used by the models that need them."""
from .base import PlasticityRule, clip
from .multiplicative import MultiplicativeSTDP
from .stdp import STDP, RewardModulatedSTDP
from .triplet import TripletSTDP

__all__ = ["PlasticityRule", "STDP", "RewardModulatedSTDP", "MultiplicativeSTDP", "TripletSTDP", "clip"]
