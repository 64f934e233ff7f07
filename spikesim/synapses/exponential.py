"""Exponential current synapse (current-based, "CUBA").

    tau dI_s/dt = -I_s,    I_s <- I_s + w at each arriving spike

Over a step the current decays exactly, I_s(t + dt) = I_s(t) exp(-dt/tau). The neuron is given
the step's mean current, I_s(t) * q with q = (tau/dt)(1 - exp(-dt/tau)), so the charge a spike
delivers is w * tau, exactly, whatever dt (holding I_s(t) over the step instead adds charge:
+16 % at tau = 0.325 ms, dt = 0.1 ms). ``charge="sample"`` gives the neuron I_s(t) itself
(q = 1), which is the ``target="I_syn"`` shorthand's convention (as in Brian2 with an exact
linear update of ``I_syn`` feeding an Euler step of v)."""
from __future__ import annotations

import math

from .base import SynapseModel, positive

CHARGE = {"sample": 0.0, "exact": 1.0}


def mean_factor(dt, tau):
    """(tau/dt)(1 - exp(-dt/tau)): the mean of exp(-s/tau) over s in [0, dt]."""
    return tau / dt * -math.expm1(-dt / tau)


class Exponential(SynapseModel):
    state = {"g": 0.0}
    params = {"tau": 5.0, "charge": 1.0}
    target = "g"

    def __init__(self, tau=5.0, charge="exact", name=None):
        if charge not in CHARGE:
            raise ValueError(f"Exponential charge must be one of {list(CHARGE)}, got {charge!r}")
        super().__init__(name=name, tau=tau, charge=CHARGE[charge])

    def validate(self, arrays):
        positive(self, arrays, "tau")

    @staticmethod
    def derived(dt, tau, charge):
        return {"decay": math.exp(-dt / tau), "q": mean_factor(dt, tau) if charge > 0.0 else 1.0}

    @staticmethod
    def current(g, q):
        return g * q

    @staticmethod
    def update(g, decay):
        return (g * decay,)
