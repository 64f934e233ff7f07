"""Plasticity rules of the core, written once as scalar hooks (:mod:`.base`) and generated into
every backend's loop: additive and multiplicative pair STDP, reward-modulated STDP, triplet
STDP, Oja's subspace rule of HLOP (:mod:`.oja`, on lateral projections with neuron state and
sums over synapses), and users' own rules. The readout rules (gated three-factor NLMS, RLS) run
as core readouts (:mod:`spikesim.core.readout`); the two-factor consolidation is plain maths
used by the model that needs it."""
from .base import PlasticityRule, clip
from .multiplicative import MultiplicativeSTDP
from .oja import OjaSubspace
from .stdp import STDP, RewardModulatedSTDP
from .triplet import TripletSTDP

__all__ = ["PlasticityRule", "STDP", "RewardModulatedSTDP", "MultiplicativeSTDP", "OjaSubspace", "TripletSTDP", "clip"]
