"""Plasticity rules of the core, written once as scalar hooks (:mod:`.base`) and generated into
every backend's loop: additive and multiplicative pair STDP, reward-modulated STDP, triplet
STDP, and users' own rules. The paradigm rules (three-factor readouts, two-factor consolidation,
Oja subspace, RLS) are plain maths compiled into the drivers that use them."""
from .base import PlasticityRule, clip
from .multiplicative import MultiplicativeSTDP
from .stdp import STDP, RewardModulatedSTDP
from .triplet import TripletSTDP

__all__ = ["PlasticityRule", "STDP", "RewardModulatedSTDP", "MultiplicativeSTDP", "TripletSTDP", "clip"]
