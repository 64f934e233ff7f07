"""Current-based NIR neuron nodes in discrete time: CubaLIF and CubaLI, for graphs imported with
:mod:`spikesim.interop.nir`.

NIR's equations (Pedersen et al. 2024, Nature Communications 15), time in ms:

    tau_syn di/dt = -i + w_in I
    tau_mem dv/dt = (v_leak - v) + r i
    CubaLIF also: z = v > v_th; then v <- v_reset

``I`` is the step's input (the weights of the spikes that arrived, a one-step
:class:`~spikesim.synapses.Pulse`, plus a ``bias`` from ``t_on`` and a ``bias_late`` from
``t_late``), held over the step. The synaptic current is updated first and the membrane sees
the new current, as in norse's ``from_nir`` (a leaky-integrator cell feeding a LIF cell):

* ``exact = 0`` (norse, forward Euler): ``i <- i + (dt/tau_syn)(w_in I - i)``,
  ``v <- v + (dt/tau_mem)((r i + v_leak) - v)``;
* ``exact = 1`` (exponential Euler): the same with the factors ``1 - exp(-dt/tau)``; each
  equation is integrated exactly with the other's input held at its end-of-step value.

(norse gives the synapse the neuron's v_leak as its own leak; NIR's synapse leaks to 0, which
is what this model does: they agree for v_leak = 0.) ``spiking`` = 1 for CubaLIF, 0 for CubaLI.
"""
from __future__ import annotations

import math

from .base import NeuronModel, require_positive


def _factor(dt, tau, exact):
    return -math.expm1(-dt / tau) if exact > 0.0 else dt / tau


class NIRCuba(NeuronModel):
    """``n`` CubaLIF (``spiking=True``) or CubaLI neurons; times in ms."""

    state = {"v": 0.0, "i": 0.0}
    params = {"spiking": 1.0, "exact": 0.0, "tau_syn": 5.0, "tau_mem": 10.0, "r": 1.0, "v_leak": 0.0, "w_in": 1.0,
              "v_th": 1.0, "v_reset": 0.0, "bias": 0.0, "bias_late": 0.0, "t_on": 0.0, "t_late": 0.0}
    finite_check = ("v", "i")

    def __init__(self, n, spiking: bool = True, *, exact: bool = False, **values):
        self.nir_kind = "CubaLIF" if spiking else "CubaLI"
        super().__init__(n, spiking=float(bool(spiking)), exact=float(bool(exact)), **values)

    def validate(self):
        require_positive(self, "tau_syn", "tau_mem")

    @staticmethod
    def derived(dt, exact, tau_syn, tau_mem):
        return {"ks": _factor(dt, tau_syn, exact), "km": _factor(dt, tau_mem, exact)}

    @staticmethod
    def update(v, i, I, t, dt, ks, km, r, v_leak, w_in, bias, bias_late, t_on, t_late):
        u = I + (bias if t >= t_on - 0.5 * dt else 0.0) + (bias_late if t >= t_late - 0.5 * dt else 0.0)
        i2 = i + ks * (w_in * u - i)
        return v + km * ((r * i2 + v_leak) - v), i2

    @staticmethod
    def threshold(v, spiking, v_th):
        return (spiking > 0.0) & (v > v_th)

    @staticmethod
    def reset(v_reset, i):
        return v_reset, i
