"""Spike-timing-dependent plasticity in the event-driven core: pair-based additive STDP and its
reward-modulated (three-factor) form.

**STDP** (trace form of Song, Miller & Abbott 2000; Morrison, Diesmann & Gerstner 2008). Each
neuron has a presynaptic trace x_pre and a postsynaptic trace x_post (one pair per rule):

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

Schedule inside a step (after the reset, before the monitors; see spikesim.core.network): traces
and eligibilities decay by exp(-dt/tau); depression for the synapses of this step's presynaptic
spikes (reading x_post before it is incremented), potentiation for the synapses of this step's
postsynaptic spikes (reading x_pre before it is incremented), then the traces of the neurons that
spiked are incremented, then the modulated weight update. A spike transmits the weight it had
before this step's plasticity. Pre and post spikes in the same step therefore do not interact.
"""
from __future__ import annotations

import math

import numpy as np

RULE_STDP, RULE_RSTDP = 0, 1
# columns of the plan's rule table
P_DECAY_PRE, P_DECAY_POST, P_A_PLUS, P_A_MINUS, P_W_MIN, P_W_MAX, P_KIND, P_DECAY_ELIG, P_ETA = range(9)
N_RULE_PARAMS = 9


def clip_weight(w, w_min, w_max):
    """Scalar clip (compiled by the backends; the reference uses np.clip, identical for finite w)."""
    if w < w_min:
        return w_min
    if w > w_max:
        return w_max
    return w


class STDP:
    """Pair-based additive STDP with exponential traces (see the module docstring)."""

    kind = RULE_STDP

    def __init__(self, tau_pre: float = 20.0, tau_post: float = 20.0, a_plus: float = 0.01,
                 a_minus: float = 0.0105, w_min: float = 0.0, w_max: float = 1.0):
        for name, val in (("tau_pre", tau_pre), ("tau_post", tau_post)):
            if not (math.isfinite(val) and val > 0):
                raise ValueError(f"STDP {name} must be a positive number of ms, got {val!r}")
        for name, val in (("a_plus", a_plus), ("a_minus", a_minus), ("w_min", w_min), ("w_max", w_max)):
            if not math.isfinite(val):
                raise ValueError(f"STDP {name} must be finite, got {val!r}")
        if w_min > w_max:
            raise ValueError(f"STDP w_min ({w_min}) must not exceed w_max ({w_max})")
        self.tau_pre, self.tau_post = float(tau_pre), float(tau_post)
        self.a_plus, self.a_minus = float(a_plus), float(a_minus)
        self.w_min, self.w_max = float(w_min), float(w_max)

    def table_row(self, dt: float) -> np.ndarray:
        row = np.zeros(N_RULE_PARAMS)
        row[P_DECAY_PRE] = math.exp(-dt / self.tau_pre)
        row[P_DECAY_POST] = math.exp(-dt / self.tau_post)
        row[P_A_PLUS], row[P_A_MINUS] = self.a_plus, self.a_minus
        row[P_W_MIN], row[P_W_MAX] = self.w_min, self.w_max
        row[P_KIND] = self.kind
        row[P_DECAY_ELIG] = 1.0
        return row

    def modulator(self, n_steps: int) -> np.ndarray | None:
        return None

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(tau_pre={self.tau_pre}, tau_post={self.tau_post}, a_plus={self.a_plus}, "
                f"a_minus={self.a_minus}, w=[{self.w_min}, {self.w_max}])")


class RewardModulatedSTDP(STDP):
    """STDP into an eligibility trace, turned into weight change by a modulator M(t).

    ``modulator``: array of length n_steps (one value per step, e.g. dopamine or a reward-
    prediction error), ``tau_elig`` in ms, ``eta`` the learning rate (per ms of modulation).
    """

    kind = RULE_RSTDP

    def __init__(self, modulator, tau_elig: float = 1000.0, eta: float = 1.0, **stdp):
        super().__init__(**stdp)
        m = np.asarray(modulator, dtype=np.float64)
        if m.ndim != 1:
            raise ValueError(f"modulator must be a 1-D array with one value per step, got shape {m.shape}")
        if not np.all(np.isfinite(m)):
            raise ValueError("modulator contains NaN or inf")
        if not (math.isfinite(tau_elig) and tau_elig > 0):
            raise ValueError(f"tau_elig must be a positive number of ms, got {tau_elig!r}")
        if not math.isfinite(eta):
            raise ValueError(f"eta must be finite, got {eta!r}")
        self.modulator_array, self.tau_elig, self.eta = m, float(tau_elig), float(eta)

    def table_row(self, dt: float) -> np.ndarray:
        row = super().table_row(dt)
        row[P_DECAY_ELIG] = math.exp(-dt / self.tau_elig)
        row[P_ETA] = self.eta * dt
        return row

    def modulator(self, n_steps: int) -> np.ndarray:
        return self.modulator_array
