"""Quadratic integrate-and-fire neuron (QIF), the normal form of a saddle-node on invariant
circle bifurcation (type I excitability).

Latham, P. E., Richmond, B. J., Nelson, P. G. & Nirenberg, S. (2000). Intrinsic dynamics in
neuronal networks. I. Theory. J. Neurophysiol. 83, 808-827; Ermentrout, B. (1996). Type I
membranes, phase resetting curves, and synchrony. Neural Comput. 8, 979-1001.

    tau_m dv/dt = (v - v_rest)(v - v_c) / (v_c - v_rest) + r_m I        (mV, ms; r_m I in mV)
    if v >= v_peak:  spike,  v <- v_reset

v_rest is the stable and v_c the unstable fixed point without input (v_c > v_rest); the
rheobase is r_m I = (v_c - v_rest) / 4. Integration: forward Euler from the value at the start
of the step (Brian2's ``method="euler"``).

Refractoriness (``t_ref`` ms, default 0) and ``refractory`` as LIF's (see
:mod:`spikesim.neurons.refractory`). Defaults: tau_m = 10 ms, v_rest = -65 mV, v_c = -50 mV,
v_peak = 30 mV, v_reset = -70 mV, r_m = 1, t_ref = 0, v0 = v_rest.
"""
from __future__ import annotations

from .base import NeuronModel, require_nonnegative, require_positive
from .refractory import clamp_flag, may_spike, refractory_steps, refractory_update


class QIF(NeuronModel):
    state = {"v": -65.0, "ref": 0.0}
    params = {"tau_m": 10.0, "v_rest": -65.0, "v_c": -50.0, "v_peak": 30.0, "v_reset": -70.0, "r_m": 1.0,
              "t_ref": 0.0, "clamp": 1.0}

    def __init__(self, n, tau_m=10.0, v_rest=-65.0, v_c=-50.0, v_peak=30.0, v_reset=-70.0, r_m=1.0, t_ref=0.0,
                 *, v0=None, refractory="clamp"):
        super().__init__(n, tau_m=tau_m, v_rest=v_rest, v_c=v_c, v_peak=v_peak, v_reset=v_reset, r_m=r_m,
                         t_ref=t_ref, clamp=clamp_flag("QIF", refractory), v=v_rest if v0 is None else v0)

    def validate(self):
        require_positive(self, "tau_m")
        require_nonnegative(self, "t_ref")
        if (self.param_values["v_c"] <= self.param_values["v_rest"]).any():
            raise ValueError("QIF parameter 'v_c' must be greater than 'v_rest'")

    @staticmethod
    def derived(dt, t_ref):
        return {"ref_steps": refractory_steps(dt, t_ref)}

    @staticmethod
    def update(v, ref, I, dt, tau_m, v_rest, v_c, r_m, v_reset, clamp):
        dv = ((v - v_rest) * (v - v_c) / (v_c - v_rest) + r_m * I) / tau_m
        return refractory_update(v + dt * dv, ref, v_reset, clamp)

    @staticmethod
    def threshold(v, ref, v_peak, clamp):
        return (v >= v_peak) & may_spike(ref, clamp)

    @staticmethod
    def reset(v_reset, ref_steps):
        return v_reset, ref_steps
