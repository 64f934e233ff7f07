"""Adaptive exponential integrate-and-fire neuron (AdEx).

Brette, R. & Gerstner, W. (2005). Adaptive exponential integrate-and-fire model as an effective
description of neuronal activity. J. Neurophysiol. 94, 3637-3642.

Units: mV, ms, pF, nS, pA (nS * mV = pA, pA / pF = mV/ms).

    C dv/dt = -g_L (v - E_L) + g_L Delta_T exp((v - V_T) / Delta_T) - w + I
    tau_w dw/dt = a (v - E_L) - w
    if v > v_peak:  spike,  v <- v_reset,  w <- w + b

Integration: forward Euler for v and w, both from the values at the start of the step (Brian2's
``method="euler"``; the exponential term makes v stiff near the spike, so keep dt <= 0.1 ms).

The spike is detected when v passes ``v_peak``; the default ``v_peak=None`` means
V_T + 5 Delta_T per neuron (the cut used by Brian2's ``Brette_Gerstner_2005`` example).
Defaults are the paper's regular-spiking cell (C = 281 pF, g_L = 30 nS, E_L = -70.6 mV,
V_T = -50.4 mV, Delta_T = 2 mV, tau_w = 144 ms, a = 4 nS, b = 80.5 pA, v_reset = E_L).

Refractoriness (``t_ref`` ms, default 0: none, as in the paper; ``refractory``, see
:mod:`spikesim.neurons.refractory`): ``"clamp"`` holds v at v_reset while w keeps integrating
(NEST's ``aeif``), ``"threshold"`` only blocks spikes. With ``"threshold"`` v keeps growing
exponentially if it passes v_peak again during t_ref: keep t_ref short with that option.
"""
from __future__ import annotations

from spikesim.kernel_math import exp

from .base import NeuronModel, per_neuron, require_nonnegative, require_positive
from .refractory import clamp_flag, may_spike, refractory_steps, refractory_update


class AdEx(NeuronModel):
    """``n`` AdEx neurons; every parameter is a scalar or an (n,) array. v0 defaults to E_L, w0 to 0."""

    state = {"v": -70.6, "w": 0.0, "ref": 0.0}
    params = {"C": 281.0, "g_L": 30.0, "E_L": -70.6, "V_T": -50.4, "Delta_T": 2.0, "tau_w": 144.0, "a": 4.0,
              "b": 80.5, "v_reset": -70.6, "v_peak": -40.4, "t_ref": 0.0, "clamp": 1.0}

    def __init__(self, n, C=281.0, g_L=30.0, E_L=-70.6, V_T=-50.4, Delta_T=2.0, tau_w=144.0, a=4.0, b=80.5,
                 v_reset=-70.6, v_peak=None, t_ref=0.0, *, v0=None, w0=0.0, refractory="clamp"):
        clamp = clamp_flag("AdEx", refractory)
        nn = n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else 1
        if v_peak is None:
            v_peak = per_neuron("V_T", V_T, nn) + 5.0 * per_neuron("Delta_T", Delta_T, nn)
        super().__init__(n, C=C, g_L=g_L, E_L=E_L, V_T=V_T, Delta_T=Delta_T, tau_w=tau_w, a=a, b=b,
                         v_reset=v_reset, v_peak=v_peak, t_ref=t_ref, clamp=clamp,
                         v=E_L if v0 is None else v0, w=w0)

    def validate(self):
        require_positive(self, "C", "Delta_T", "tau_w")
        require_nonnegative(self, "g_L", "t_ref")

    @staticmethod
    def derived(dt, t_ref):
        return {"ref_steps": refractory_steps(dt, t_ref)}

    @staticmethod
    def update(v, w, ref, I, dt, C, g_L, E_L, V_T, Delta_T, tau_w, a, v_reset, clamp):
        dv = (-g_L * (v - E_L) + g_L * Delta_T * exp((v - V_T) / Delta_T) - w + I) / C
        dw = (a * (v - E_L) - w) / tau_w
        v_new, ref_new = refractory_update(v + dt * dv, ref, v_reset, clamp)
        return v_new, w + dt * dw, ref_new

    @staticmethod
    def threshold(v, ref, v_peak, clamp):
        return (v > v_peak) & may_spike(ref, clamp)

    @staticmethod
    def reset(w, b, v_reset, ref_steps):
        return v_reset, w + b, ref_steps
