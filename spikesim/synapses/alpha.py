"""Alpha-function current synapse: a spike of weight w gives I(t) = w (t/tau) exp(1 - t/tau)
(peak w at t = tau, charge w e tau).

As a linear system: tau dh/dt = -h, tau dg/dt = h - g, the spike adds w to h, I = e g. The
update over a step is exact (E = exp(-dt/tau)):

    g <- (g + h dt/tau) E,    h <- h E

and the neuron is given the step's mean current e (g q + h r), with q = (tau/dt)(1 - E) and
r = (tau/dt)(1 - E (1 + dt/tau)) (the means of E(s) and (s/tau) E(s) over the step)."""
from __future__ import annotations

import math

from .base import SynapseModel, positive
from .exponential import mean_factor


def ramp_factor(dt, tau):
    """Mean of (s/tau) exp(-s/tau) over s in [0, dt]."""
    return tau / dt * (1.0 - math.exp(-dt / tau) * (1.0 + dt / tau))


class Alpha(SynapseModel):
    state = {"g": 0.0, "h": 0.0}
    params = {"tau": 5.0}
    target = "h"

    def __init__(self, tau=5.0, name=None):
        super().__init__(name=name, tau=tau)

    def validate(self, arrays):
        positive(self, arrays, "tau")

    @staticmethod
    def derived(dt, tau):
        return {"decay": math.exp(-dt / tau), "step": dt / tau, "q": mean_factor(dt, tau),
                "r": ramp_factor(dt, tau)}

    @staticmethod
    def current(g, h, q, r):
        return math.e * (g * q + h * r)

    @staticmethod
    def update(g, h, decay, step):
        return (g + h * step) * decay, h * decay
