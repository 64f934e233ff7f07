"""Rate (non-spiking) unit with a tanh output, the unit of echo-state networks.

Jaeger, H. (2001). The "echo state" approach to analysing and training recurrent neural
networks. GMD Report 148; leaky-integrator form of Jaeger, Lukosevicius, Popovici & Siewert
(2007), Neural Netw. 20(3), 335-352.

    tau dx/dt = -x + I ,   phi = tanh(x)

Forward Euler from the value at the start of the step: x <- x + dt / tau * (-x + I), then
phi <- tanh(x). The unit never spikes; other units read its output ``phi`` through a continuous
projection (``ss.synapses.LinearRateCoupling``: I_j += sum_i w_ij phi_i), and a readout can read
``phi`` as its feature (``Readout(feature="phi")``). Defaults: tau = 10 ms, x0 = 0.
"""
from __future__ import annotations

import math

import numpy as np

from .base import NeuronModel, require_positive


class TanhRate(NeuronModel):
    state = {"x": 0.0, "phi": 0.0}
    params = {"tau": 10.0}

    def __init__(self, n, tau=10.0, *, x0=0.0):
        super().__init__(n, tau=tau, x=x0)
        self.initial["phi"] = np.tanh(self.initial["x"])

    def validate(self):
        require_positive(self, "tau")

    @staticmethod
    def update(x, I, dt, tau):
        x = x + dt / tau * (-x + I)
        return x, math.tanh(x)

    @staticmethod
    def threshold(x):
        return False

    @staticmethod
    def reset(x, phi):
        return x, phi
