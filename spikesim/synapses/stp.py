"""Short-term plasticity of the Tsodyks-Markram kind (Tsodyks, Pawelzik & Markram 1998;
Tsodyks 2005; the form of Brian2's example of Stimberg et al. 2018, DESIGN section 3.2).

Per presynaptic neuron of a projection (every synapse of one presynaptic neuron in one
projection sees the same spike train, so they share u and x): between spikes u decays to 0 with
tau_f and x recovers to 1 with tau_d, exactly over the elapsed time; at a spike

    u <- u + U (1 - u),   r = u x,   x <- x - r,

and each synapse delivers w r instead of w. Initially u = 0 and x = 1.
"""
from __future__ import annotations

import math



def _number(value, name, lo, hi=math.inf, lo_open=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v) or v < lo or v > hi or (lo_open and v == lo):
        raise ValueError(f"{name} must lie in {'(' if lo_open else '['}{lo}, {hi}], got {value!r}")
    return v


def tsodyks_markram_spike(u, x, elapsed, U, tau_f, tau_d):
    """State update at a presynaptic spike after ``elapsed`` ms; returns (u, x, r)."""
    u = u * math.exp(-elapsed / tau_f)
    x = 1.0 - (1.0 - x) * math.exp(-elapsed / tau_d)
    u = u + U * (1.0 - u)
    r = u * x
    return u, x - r, r


class TsodyksMarkram:
    def __init__(self, U: float = 0.5, tau_d: float = 200.0, tau_f: float = 50.0):
        self.U = _number(U, "TsodyksMarkram U", 0.0, 1.0)
        self.tau_d = _number(tau_d, "TsodyksMarkram tau_d", 0.0, lo_open=True)
        self.tau_f = _number(tau_f, "TsodyksMarkram tau_f", 0.0, lo_open=True)

    def __repr__(self):
        return f"TsodyksMarkram(U={self.U}, tau_d={self.tau_d}, tau_f={self.tau_f})"
