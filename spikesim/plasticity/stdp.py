"""Spike-timing-dependent plasticity: pair-based additive STDP and its reward-modulated
(three-factor) form, as rules of the plasticity contract (:mod:`spikesim.plasticity.base`).

**STDP** (trace form of Song, Miller & Abbott 2000; Morrison, Diesmann & Gerstner 2008). Each
neuron has a presynaptic trace x_pre and a postsynaptic trace x_post per plastic projection:

    tau_pre  dx_pre/dt  = -x_pre,   x_pre  <- x_pre  + 1 at each spike of the neuron
    tau_post dx_post/dt = -x_post,  x_post <- x_post + 1 at each spike of the neuron
    presynaptic spike of i:   w_ij <- clip(w_ij - A_minus * x_post_j, w_min, w_max)   (depression)
    postsynaptic spike of j:  w_ij <- clip(w_ij + A_plus  * x_pre_i,  w_min, w_max)   (potentiation)

**Reward-modulated STDP** (Izhikevich 2007, "Solving the distal reward problem through linkage
of STDP and dopamine signaling", Cereb. Cortex 17): the STDP increments go into a synaptic
eligibility trace c_ij instead of the weight, and a modulatory signal M(t) (the third factor,
given as an array over time) turns eligibility into weight change:

    tau_c dc_ij/dt = -c_ij  (+ the STDP increments above)
    w_ij <- clip(w_ij + eta * M(t) * c_ij * dt, w_min, w_max)   every step

Within a step: traces and eligibilities decay by exp(-dt/tau) (``before``), depression for the
synapses of this step's presynaptic spikes, potentiation for those of its postsynaptic spikes
(both reading the traces before this step's increments), trace increments, then the modulated
weight change (``after``); see :mod:`spikesim.plasticity.base`.
"""
from __future__ import annotations

import math

from spikesim.plasticity.base import PlasticityRule, clip


class STDP(PlasticityRule):
    """Pair-based additive STDP with exponential traces (see the module docstring)."""

    params = {"tau_pre": 20.0, "tau_post": 20.0, "a_plus": 0.01, "a_minus": 0.0105, "w_min": 0.0, "w_max": 1.0}
    pre_traces = {"x_pre": "tau_pre"}
    post_traces = {"x_post": "tau_post"}

    @staticmethod
    def on_pre(w, x_post, a_minus, w_min, w_max):
        return (clip(w - a_minus * x_post, w_min, w_max),)

    @staticmethod
    def on_post(w, x_pre, a_plus, w_min, w_max):
        return (clip(w + a_plus * x_pre, w_min, w_max),)


class RewardModulatedSTDP(PlasticityRule):
    """STDP into an eligibility trace, turned into weight change by a modulator M(t).

    ``modulator``: array of length n_steps (one value per step, e.g. dopamine or a reward-
    prediction error), ``tau_elig`` in ms, ``eta`` the learning rate (per ms of modulation).
    """

    params = {**STDP.params, "tau_elig": 1000.0, "eta": 1.0}
    pre_traces = STDP.pre_traces
    post_traces = STDP.post_traces
    state = {"c": 0.0}
    modulated = True

    def __init__(self, modulator, **values):
        super().__init__(modulator=modulator, **values)

    @staticmethod
    def derived(dt, tau_elig, eta):
        return {"decay_c": math.exp(-dt / tau_elig), "eta_dt": eta * dt}

    def validate(self):
        if not self.values["tau_elig"] > 0:
            raise ValueError(f"tau_elig must be a positive number of ms, got {self.values['tau_elig']!r}")

    @staticmethod
    def before(w, c, decay_c):
        return w, c * decay_c

    @staticmethod
    def on_pre(w, c, x_post, a_minus):
        return w, c - a_minus * x_post

    @staticmethod
    def on_post(w, c, x_pre, a_plus):
        return w, c + a_plus * x_pre

    @staticmethod
    def after(w, c, M, eta_dt, w_min, w_max):
        return clip(w + eta_dt * M * c, w_min, w_max), c
