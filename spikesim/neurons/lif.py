"""Current-based leaky integrate-and-fire neuron with exact exponential integration.

Lapicque (1907); the exact-integration scheme of Rotter & Diesmann (1999), Biol. Cybern. 81.

    tau_m dv/dt = -(v - v_rest) + R I        (v in mV, t in ms, R I in mV)
    if v >= v_th: spike, v <- v_reset, clamp v at v_reset for t_ref ms

With I held constant over a step of length dt the update is exact:

    v_inf = v_rest + R I
    v(t + dt) = v_inf + (v(t) - v_inf) exp(-dt / tau_m)

I is the external current plus one-step pulses (target ``"I"``) plus the filtered synaptic
current ``I_syn`` (target ``"I_syn"``; tau_syn dI_syn/dt = -I_syn, decayed exactly after each
step). During the refractory period v stays at v_reset and the countdown ``ref`` (in steps)
decreases by one per step.
"""
from __future__ import annotations

import math

import numpy as np

from .base import NeuronGroup, per_neuron


def lif_update(v, ref, current, v_rest, r_m, decay_m, v_reset):
    """One step; ``decay_m`` = exp(-dt/tau_m). Returns the new (v, ref). Written branch-free
    (both outcomes computed, one selected) so compiled loops vectorise."""
    v_inf = v_rest + r_m * current
    free = v_inf + (v - v_inf) * decay_m
    refractory = ref > 0.0
    return (v_reset if refractory else free), (ref - 1.0 if refractory else ref)


def lif_reset(v_reset, t_ref, dt):
    """After a spike: v <- v_reset and the refractory countdown in whole steps."""
    return v_reset, float(math.ceil(t_ref / dt - 1e-9))


class LIF(NeuronGroup):
    """``n`` LIF neurons. Defaults: tau_m=10 ms, v_rest=-65 mV, v_reset=-65 mV, v_th=-50 mV,
    R=1 (so currents are in mV), t_ref=2 ms, tau_syn=5 ms, v0=v_rest."""

    kind = "lif"
    state_vars = ("v", "ref", "I_syn")
    param_names = ("tau_m", "v_rest", "v_reset", "v_th", "r_m", "t_ref", "tau_syn")

    def __init__(self, n, tau_m=10.0, v_rest=-65.0, v_reset=-65.0, v_th=-50.0, r_m=1.0, t_ref=2.0,
                 tau_syn=5.0, *, v0=None):
        super().__init__(n)
        self._set_params(dict(tau_m=tau_m, v_rest=v_rest, v_reset=v_reset, v_th=v_th, r_m=r_m,
                              t_ref=t_ref, tau_syn=tau_syn))
        for name in ("tau_m", "tau_syn"):
            if np.any(self.params[name] <= 0):
                raise ValueError(f"{name} must be positive")
        if np.any(self.params["t_ref"] < 0):
            raise ValueError("t_ref must be >= 0")
        v = self.params["v_rest"].copy() if v0 is None else per_neuron("v0", v0, self.n)
        self.initial = {"v": v, "ref": np.zeros(self.n), "I_syn": np.zeros(self.n)}
