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

``tau_syn`` is the time constant of the ``target="I_syn"`` shorthand synapse.
"""
from __future__ import annotations

from .base import NeuronModel, per_neuron, require_positive

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


class Izhikevich(NeuronModel):
    """``n`` Izhikevich neurons. Every parameter is a scalar or an (n,) array.

    Defaults are the regular-spiking cell (a=0.02, b=0.2, c=-65, d=8), v0=-65 mV, u0=b*v0,
    v_peak=30 mV, tau_syn=5 ms (for the ``"I_syn"`` synapse target).
    """

    state = {"v": -65.0, "u": -13.0}
    params = {"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0, "v_peak": 30.0, "tau_syn": 5.0, "method": 1.0}
    legacy_tau_syn = "tau_syn"

    def __init__(self, n, a=0.02, b=0.2, c=-65.0, d=8.0, *, v0=-65.0, u0=None, v_peak=30.0,
                 tau_syn=5.0, method="izhikevich2003"):
        if method not in METHODS:
            raise ValueError(f"unknown Izhikevich integration method {method!r}; use one of {list(METHODS)}")
        self.method = method
        nn = int(n) if isinstance(n, int) and not isinstance(n, bool) and n > 0 else 1
        v = per_neuron("v0", v0, nn)
        u = per_neuron("b", b, nn) * v if u0 is None else u0
        super().__init__(n, a=a, b=b, c=c, d=d, v_peak=v_peak, tau_syn=tau_syn, method=float(METHODS[method]),
                         v=v, u=u)

    def validate(self):
        require_positive(self, "tau_syn")

    @staticmethod
    def update(v, u, I, a, b, dt, method):
        return izhikevich_update(v, u, I, a, b, dt, method)

    @staticmethod
    def threshold(v, v_peak):
        return v >= v_peak

    @staticmethod
    def reset(v, u, c, d):
        return izhikevich_reset(v, u, c, d)
