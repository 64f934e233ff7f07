"""Exponential integrate-and-fire neuron (EIF).

Fourcaud-Trocme, N., Hansel, D., van Vreeswijk, C. & Brunel, N. (2003). How spike generation
mechanisms determine the neuronal response to fluctuating inputs. J. Neurosci. 23, 11628-11640.

    tau_m dv/dt = -(v - v_rest) + Delta_T exp((v - v_T) / Delta_T) + r_m I     (mV, ms; r_m I in mV)
    if v >= v_peak:  spike,  v <- v_reset,  refractory for t_ref ms

Integration: forward Euler from the value at the start of the step (Brian2's
``method="euler"``). ``v_T`` is the soft threshold (where the exponential takes over),
``v_peak`` the point where the spike is detected and cut.

Refractoriness as LIF's (``refractory="clamp"`` holds v at v_reset for t_ref,
``"threshold"`` keeps integrating and only blocks spikes; see :mod:`spikesim.neurons.refractory`).
Defaults: tau_m = 10 ms, v_rest = -65 mV, v_T = -50 mV, Delta_T = 2 mV, v_peak = -30 mV,
v_reset = -68 mV, r_m = 1, t_ref = 2 ms, v0 = v_rest.
"""
from __future__ import annotations

from spikesim.kernel_math import exp

from .base import NeuronModel, require_nonnegative, require_positive
from .refractory import clamp_flag, may_spike, refractory_steps, refractory_update


class EIF(NeuronModel):
    state = {"v": -65.0, "ref": 0.0}
    params = {"tau_m": 10.0, "v_rest": -65.0, "v_T": -50.0, "Delta_T": 2.0, "v_peak": -30.0, "v_reset": -68.0,
              "r_m": 1.0, "t_ref": 2.0, "clamp": 1.0}

    def __init__(self, n, tau_m=10.0, v_rest=-65.0, v_T=-50.0, Delta_T=2.0, v_peak=-30.0, v_reset=-68.0,
                 r_m=1.0, t_ref=2.0, *, v0=None, refractory="clamp"):
        super().__init__(n, tau_m=tau_m, v_rest=v_rest, v_T=v_T, Delta_T=Delta_T, v_peak=v_peak,
                         v_reset=v_reset, r_m=r_m, t_ref=t_ref, clamp=clamp_flag("EIF", refractory),
                         v=v_rest if v0 is None else v0)

    def validate(self):
        require_positive(self, "tau_m", "Delta_T")
        require_nonnegative(self, "t_ref")

    @staticmethod
    def derived(dt, t_ref):
        return {"ref_steps": refractory_steps(dt, t_ref)}

    @staticmethod
    def update(v, ref, I, dt, tau_m, v_rest, v_T, Delta_T, r_m, v_reset, clamp):
        dv = (-(v - v_rest) + Delta_T * exp((v - v_T) / Delta_T) + r_m * I) / tau_m
        return refractory_update(v + dt * dv, ref, v_reset, clamp)

    @staticmethod
    def threshold(v, ref, v_peak, clamp):
        return (v >= v_peak) & may_spike(ref, clamp)

    @staticmethod
    def reset(v_reset, ref_steps):
        return v_reset, ref_steps
