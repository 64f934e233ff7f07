"""Izhikevich (2003) simple model neuron, with per-neuron heterogeneous a, b, c, d.

Izhikevich, E. M. (2003). Simple model of spiking neurons. IEEE Trans. Neural Netw. 14(6).

    dv/dt = 0.04 v^2 + 5 v + 140 - u + I        (v in mV, t in ms)
    du/dt = a (b v - u)
    if v >= v_peak (30 mV):  v <- c,  u <- u + d

Integration (``method``):
  * ``"izhikevich2003"`` (default): as in the paper's MATLAB ``net.m``: v advances in two
    half-steps of dt/2 (for numerical stability), then u advances one Euler step of dt using
    the new v.
  * ``"euler"``: forward Euler for v and u, both from the old values.

I is the sum of the external current, one-step current pulses (synapse target ``"I"``) and the
exponentially filtered synaptic current ``I_syn`` (target ``"I_syn"``, time constant tau_syn,
decayed exactly after each step). The functions below are plain scalar maths: backends compile
them with ``numba.njit`` and ``numba.cuda.jit(device=True)`` so every backend runs the same code.
"""
from __future__ import annotations

import math

import numpy as np

from .base import NeuronGroup

METHODS = {"euler": 0, "izhikevich2003": 1}


def izhikevich_update(v, u, current, a, b, dt, method):
    """One step of the membrane equations; returns the new (v, u)."""
    if method == 1:
        h = 0.5 * dt
        v = v + h * (0.04 * v * v + 5.0 * v + 140.0 - u + current)
        v = v + h * (0.04 * v * v + 5.0 * v + 140.0 - u + current)
        u = u + dt * a * (b * v - u)
    else:
        dv = 0.04 * v * v + 5.0 * v + 140.0 - u + current
        du = a * (b * v - u)
        v = v + dt * dv
        u = u + dt * du
    return v, u


def izhikevich_reset(v, u, c, d):
    """After a spike: v <- c, u <- u + d."""
    return c, u + d


def synaptic_decay(dt, tau_syn):
    """Exact one-step decay factor of the filtered synaptic current."""
    return math.exp(-dt / tau_syn)


class Izhikevich(NeuronGroup):
    """``n`` Izhikevich neurons. Every parameter is a scalar or an (n,) array.

    Defaults are the regular-spiking cell (a=0.02, b=0.2, c=-65, d=8), v0=-65 mV, u0=b*v0,
    v_peak=30 mV, tau_syn=5 ms (for the ``"I_syn"`` synapse target).
    """

    kind = "izhikevich"
    state_vars = ("v", "u", "I_syn")
    param_names = ("a", "b", "c", "d", "v_peak", "tau_syn")

    def __init__(self, n, a=0.02, b=0.2, c=-65.0, d=8.0, *, v0=-65.0, u0=None, v_peak=30.0,
                 tau_syn=5.0, method="izhikevich2003"):
        super().__init__(n)
        if method not in METHODS:
            raise ValueError(f"unknown Izhikevich integration method {method!r}; use one of {list(METHODS)}")
        self.method = method
        self._set_params(dict(a=a, b=b, c=c, d=d, v_peak=v_peak, tau_syn=tau_syn))
        if np.any(self.params["tau_syn"] <= 0):
            raise ValueError("tau_syn must be positive")
        from .base import per_neuron
        v = per_neuron("v0", v0, self.n)
        u = self.params["b"] * v if u0 is None else per_neuron("u0", u0, self.n)
        self.initial = {"v": v, "u": u, "I_syn": np.zeros(self.n)}
