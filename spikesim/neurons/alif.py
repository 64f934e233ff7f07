"""Adaptive-threshold leaky integrate-and-fire neuron (ALIF).

The threshold rises by ``delta_theta`` at each spike and relaxes back with ``tau_a``: spike
frequency adaptation through the threshold (Gerstner, Kistler, Naud & Paninski (2014),
Neuronal Dynamics, ch. 6; the adaptive neurons of Bellec, Salaj, Subramoney, Legenstein &
Maass (2018), Long short-term memory and learning-to-learn in networks of spiking neurons,
NeurIPS, whose threshold b0 + beta a(t) with a <- rho a + (1 - rho) z is this model with
theta = beta a and delta_theta = beta (1 - rho)).

    tau_m dv/dt = -(v - v_rest) + r_m I          (mV, ms; r_m I in mV)
    tau_a dtheta/dt = -theta
    if v >= v_th + theta:  spike,  v <- v_reset,  theta <- theta + delta_theta,  refractory t_ref

Integration: exact over the step for v (I held constant, as LIF) and theta:

    v(t + dt) = v_inf + (v(t) - v_inf) exp(-dt / tau_m),   v_inf = v_rest + r_m I
    theta(t + dt) = theta(t) exp(-dt / tau_a)

The threshold of step n uses theta after step n's decay. Refractoriness as LIF's
(``refractory="clamp"`` or ``"threshold"``, :mod:`spikesim.neurons.refractory`); theta keeps
decaying during t_ref. Defaults: LIF's (tau_m = 10 ms, v_rest = v_reset = -65 mV,
v_th = -50 mV, r_m = 1, t_ref = 2 ms) with tau_a = 200 ms, delta_theta = 2 mV, theta0 = 0.
"""
from __future__ import annotations

import math

from .base import NeuronModel, require_nonnegative, require_positive
from .refractory import clamp_flag, may_spike, refractory_steps, refractory_update


class ALIF(NeuronModel):
    state = {"v": -65.0, "theta": 0.0, "ref": 0.0}
    params = {"tau_m": 10.0, "v_rest": -65.0, "v_reset": -65.0, "v_th": -50.0, "r_m": 1.0, "t_ref": 2.0,
              "tau_a": 200.0, "delta_theta": 2.0, "clamp": 1.0}

    def __init__(self, n, tau_m=10.0, v_rest=-65.0, v_reset=-65.0, v_th=-50.0, r_m=1.0, t_ref=2.0, tau_a=200.0,
                 delta_theta=2.0, *, v0=None, theta0=0.0, refractory="clamp"):
        super().__init__(n, tau_m=tau_m, v_rest=v_rest, v_reset=v_reset, v_th=v_th, r_m=r_m, t_ref=t_ref,
                         tau_a=tau_a, delta_theta=delta_theta, clamp=clamp_flag("ALIF", refractory),
                         v=v_rest if v0 is None else v0, theta=theta0)

    def validate(self):
        require_positive(self, "tau_m", "tau_a")
        require_nonnegative(self, "t_ref")

    @staticmethod
    def derived(dt, tau_m, tau_a, t_ref):
        return {"decay_m": math.exp(-dt / tau_m), "decay_a": math.exp(-dt / tau_a),
                "ref_steps": refractory_steps(dt, t_ref)}

    @staticmethod
    def update(v, theta, ref, I, v_rest, r_m, decay_m, decay_a, v_reset, clamp):
        v_inf = v_rest + r_m * I
        free = v_inf + (v - v_inf) * decay_m
        v_new, ref_new = refractory_update(free, ref, v_reset, clamp)
        return v_new, theta * decay_a, ref_new

    @staticmethod
    def threshold(v, theta, ref, v_th, clamp):
        return (v >= v_th + theta) & may_spike(ref, clamp)

    @staticmethod
    def reset(theta, v_reset, delta_theta, ref_steps):
        return v_reset, theta + delta_theta, ref_steps
