"""Multiplicative (soft-bounded) STDP: the weight change scales with the distance to the bound.

van Rossum, Bi & Turrigiano (2000), "Stable Hebbian learning from spike timing-dependent
plasticity", J. Neurosci. 20; the mu = 1 case of Guetig, Aharonov, Rotter & Sompolinsky (2003),
J. Neurosci. 23. With the pair traces of :mod:`spikesim.plasticity.stdp`:

    presynaptic spike of i:   w_ij <- w_ij - A_minus * (w_ij - w_min) * x_post_j
    postsynaptic spike of j:  w_ij <- w_ij + A_plus  * (w_max - w_ij) * x_pre_i

so depression is proportional to the weight and potentiation to the room left below w_max; the
weight distribution becomes unimodal instead of the additive rule's bimodal one. A final clip
keeps w in [w_min, w_max] when A * x exceeds 1 (a burst of spikes).
"""
from __future__ import annotations

from spikesim.plasticity.base import PlasticityRule, clip
from spikesim.plasticity.stdp import STDP


class MultiplicativeSTDP(PlasticityRule):
    """Soft-bounded pair STDP (see the module docstring)."""

    params = dict(STDP.params)
    pre_traces = STDP.pre_traces
    post_traces = STDP.post_traces

    @staticmethod
    def on_pre(w, x_post, a_minus, w_min, w_max):
        return (clip(w - a_minus * (w - w_min) * x_post, w_min, w_max),)

    @staticmethod
    def on_post(w, x_pre, a_plus, w_min, w_max):
        return (clip(w + a_plus * (w_max - w) * x_pre, w_min, w_max),)
