"""Current-based leaky integrate-and-fire neuron with exact exponential integration.

Lapicque (1907); the exact-integration scheme of Rotter & Diesmann (1999), Biol. Cybern. 81.

    tau_m dv/dt = -(v - v_rest) + R I        (v in mV, t in ms, R I in mV)
    if v >= v_th: spike, v <- v_reset, refractory for t_ref ms

With I held constant over a step of length dt the update is exact:

    v_inf = v_rest + R I
    v(t + dt) = v_inf + (v(t) - v_inf) exp(-dt / tau_m)

Refractoriness (``refractory``): ``"clamp"`` (default) holds v at v_reset for t_ref and the
countdown ``ref`` (in steps) decreases by one per step; ``"threshold"`` keeps integrating the
input during t_ref and only blocks new spikes (Brian2's ``refractory`` without
``(unless refractory)``). ``tau_syn`` is the time constant of the ``target="I_syn"`` shorthand
synapse (an exponential current, see :mod:`spikesim.synapses`).
"""
from __future__ import annotations

import math

from .base import NeuronModel, per_neuron, require_nonnegative, require_positive
from .refractory import clamp_flag, may_spike, refractory_steps, refractory_update


class LIF(NeuronModel):
    """``n`` LIF neurons. Defaults: tau_m=10 ms, v_rest=-65 mV, v_reset=-65 mV, v_th=-50 mV,
    R=1 (so currents are in mV), t_ref=2 ms, tau_syn=5 ms, v0=v_rest.

    ``refractory="threshold"`` gives an instance of :class:`LIFThresholdRefractory` (its own
    threshold function, so the clamped default reads only v in the threshold loop)."""

    finite_check = ("v",)

    def __new__(cls, *args, refractory="clamp", **kwargs):
        if cls is LIF and refractory == "threshold":
            cls = LIFThresholdRefractory
        return super().__new__(cls)

    state = {"v": -65.0, "ref": 0.0}
    params = {"tau_m": 10.0, "v_rest": -65.0, "v_reset": -65.0, "v_th": -50.0, "r_m": 1.0, "t_ref": 2.0,
              "tau_syn": 5.0, "clamp": 1.0}
    legacy_tau_syn = "tau_syn"

    def __init__(self, n, tau_m=10.0, v_rest=-65.0, v_reset=-65.0, v_th=-50.0, r_m=1.0, t_ref=2.0,
                 tau_syn=5.0, *, v0=None, refractory="clamp", **state):
        clamp = clamp_flag("LIF", refractory)
        if v0 is not None:
            state["v"] = v0
        elif "v" not in state:
            state["v"] = per_neuron("v_rest", v_rest, int(n)) if isinstance(n, int) and n > 0 else v_rest
        super().__init__(n, tau_m=tau_m, v_rest=v_rest, v_reset=v_reset, v_th=v_th, r_m=r_m, t_ref=t_ref,
                         tau_syn=tau_syn, clamp=clamp, **state)

    def validate(self):
        require_positive(self, "tau_m", "tau_syn")
        require_nonnegative(self, "t_ref")

    @staticmethod
    def derived(dt, tau_m, t_ref):
        return {"decay_m": math.exp(-dt / tau_m), "ref_steps": refractory_steps(dt, t_ref)}

    @staticmethod
    def update(v, ref, I, v_rest, r_m, decay_m, v_reset, clamp):
        """Branch-free (both outcomes computed, one selected) so compiled loops vectorise."""
        v_inf = v_rest + r_m * I
        free = v_inf + (v - v_inf) * decay_m
        return refractory_update(free, ref, v_reset, clamp)

    @staticmethod
    def threshold(v, v_th):
        return v >= v_th           # clamped: v = v_reset throughout the refractory period

    @staticmethod
    def reset(v_reset, ref_steps):
        return v_reset, ref_steps


class LIFThresholdRefractory(LIF):
    """LIF whose refractory period only blocks spikes (v keeps integrating)."""

    @staticmethod
    def threshold(v, ref, v_th):
        return (v >= v_th) & may_spike(ref, 0.0)
