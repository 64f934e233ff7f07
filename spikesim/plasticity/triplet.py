"""Triplet STDP (Pfister & Gerstner 2006, "Triplets of spikes in a model of spike timing-dependent
plasticity", J. Neurosci. 26), all-to-all interactions.

Two presynaptic traces r1 (tau_plus), r2 (tau_x) and two postsynaptic traces o1 (tau_minus),
o2 (tau_y), each decaying exponentially and growing by 1 at a spike of its neuron:

    presynaptic spike:   w <- w - o1 * (A2_minus + A3_minus * r2(t - eps))
    postsynaptic spike:  w <- w + r1 * (A2_plus  + A3_plus  * o2(t - eps))

the triplet terms reading the trace *before* the current spike's own increment (the contract's
schedule: hooks read the traces before this step's increments), then clipped to
[w_min, w_max]. Defaults: the paper's all-to-all fit to hippocampal-culture data (Table 4:
tau_plus 16.8 ms, tau_minus 33.7 ms, tau_x 946 ms, tau_y 27 ms, A2+ 6.1e-3, A3+ 6.7e-3,
A2- 1.6e-3, A3- 1.4e-3).
"""
from __future__ import annotations

from spikesim.plasticity.base import PlasticityRule, clip


class TripletSTDP(PlasticityRule):
    """All-to-all triplet STDP (see the module docstring)."""

    params = {"tau_plus": 16.8, "tau_minus": 33.7, "tau_x": 946.0, "tau_y": 27.0,
              "a2_plus": 6.1e-3, "a3_plus": 6.7e-3, "a2_minus": 1.6e-3, "a3_minus": 1.4e-3,
              "w_min": 0.0, "w_max": 1.0}
    pre_traces = {"r1": "tau_plus", "r2": "tau_x"}
    post_traces = {"o1": "tau_minus", "o2": "tau_y"}

    @staticmethod
    def on_pre(w, o1, r2, a2_minus, a3_minus, w_min, w_max):
        return (clip(w - o1 * (a2_minus + a3_minus * r2), w_min, w_max),)

    @staticmethod
    def on_post(w, r1, o2, a2_plus, a3_plus, w_min, w_max):
        return (clip(w + r1 * (a2_plus + a3_plus * o2), w_min, w_max),)
