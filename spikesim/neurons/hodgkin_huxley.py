"""Hodgkin-Huxley neuron with Traub & Miles (1991) kinetics, as in Brette et al. (2007),
benchmark 3 (Brian2's ``COBAHH`` example).

Units: mV, ms, pF, nS, pA (nS * mV = pA, pA / pF = mV/ms).

    C dv/dt = g_l (E_l - v) - g_na m^3 h (v - E_na) - g_kd n^4 (v - E_k) + sum_s g_s (E_s - v) + I
    dx/dt = alpha_x(v) (1 - x) - beta_x(v) x,      x in {m, n, h}
    alpha_m = 0.32 * 4 / exprel((13 - v + V_T) / 4)      beta_m = 0.28 * 5 / exprel((v - V_T - 40) / 5)
    alpha_h = 0.128 exp((17 - v + V_T) / 18)             beta_h = 4 / (1 + exp((40 - v + V_T) / 5))
    alpha_n = 0.032 * 5 / exprel((15 - v + V_T) / 5)     beta_n = 0.5 exp((10 - v + V_T) / 40)

with exprel(z) = (e^z - 1) / z. A spike is v > v_th (-20 mV) outside the refractory period
(t_ref = 3 ms, threshold-only: v and the gates keep integrating, as Brian2's ``refractory``).

Integration: exponential Euler (as Brian2's ``exponential_euler``): over one step the gates
relax exactly towards x_inf = alpha / (alpha + beta) with rate alpha + beta at the step's v, and v
exactly towards its steady state at the step's conductances with I held constant. The
conductance synapses (:class:`~spikesim.synapses.Conductance`) enter that step as conductances
(``g_syn`` = sum of g_s over the step, ``gE_syn`` = sum of g_s E_s), not as a current held at
the step's starting v: at gi ~ 200 nS the membrane time constant is ~1 ms, and on the same
random network this gives Brian2's COBAHH rate (its exponential Euler does the same; measured
in tests/test_brian2_examples.py).
Defaults: the COBAHH example's cell (area 20000 um^2: C = 200 pF, g_l = 10 nS, g_na = 20 uS,
g_kd = 6 uS, E_l = -60, E_na = 50, E_k = -90, V_T = -63 mV).
"""
from __future__ import annotations

import math

from spikesim.kernel_math import exp, expm1

from .base import NeuronModel, require_nonnegative, require_positive


def exprel(z):
    """(e^z - 1) / z, continuous at 0."""
    if abs(z) < 1e-9:
        return 1.0 + 0.5 * z
    return expm1(z) / z


def relax(x, alpha, beta, dt):
    """Exact step of dx/dt = alpha (1 - x) - beta x for constant alpha, beta."""
    k = alpha + beta
    x_inf = alpha / k
    return x_inf + (x - x_inf) * exp(-k * dt)


class HodgkinHuxley(NeuronModel):
    state = {"v": -60.0, "m": 0.0, "n": 0.0, "h": 0.0, "ref": 0.0}
    params = {"C": 200.0, "g_l": 10.0, "g_na": 20000.0, "g_kd": 6000.0, "E_l": -60.0, "E_na": 50.0, "E_k": -90.0,
              "V_T": -63.0, "v_th": -20.0, "t_ref": 3.0}

    def validate(self):
        require_positive(self, "C")
        require_nonnegative(self, "g_l", "g_na", "g_kd", "t_ref")

    @staticmethod
    def derived(dt, t_ref):
        return {"ref_steps": float(math.ceil(t_ref / dt - 1e-9))}

    @staticmethod
    def update(v, m, n, h, ref, I, g_syn, gE_syn, dt, C, g_l, g_na, g_kd, E_l, E_na, E_k, V_T):
        a_m = 1.28 / exprel((13.0 - v + V_T) / 4.0)
        b_m = 1.4 / exprel((v - V_T - 40.0) / 5.0)
        a_h = 0.128 * exp((17.0 - v + V_T) / 18.0)
        b_h = 4.0 / (1.0 + exp((40.0 - v + V_T) / 5.0))
        a_n = 0.16 / exprel((15.0 - v + V_T) / 5.0)
        b_n = 0.5 * exp((10.0 - v + V_T) / 40.0)
        g_a = g_na * m * m * m * h
        g_b = g_kd * n * n * n * n
        G = g_l + g_a + g_b + g_syn
        v_inf = (g_l * E_l + g_a * E_na + g_b * E_k + gE_syn + I) / G
        v_new = v_inf + (v - v_inf) * exp(-G * dt / C)
        return (v_new, relax(m, a_m, b_m, dt), relax(n, a_n, b_n, dt), relax(h, a_h, b_h, dt),
                ref - 1.0 if ref > 0.0 else ref)

    @staticmethod
    def threshold(v, ref, v_th):
        return v > v_th and ref <= 0.0

    @staticmethod
    def reset(v, m, n, h, ref_steps):
        return v, m, n, h, ref_steps
