"""Conductance-based synapses ("COBA"): the current depends on the postsynaptic potential.

Exponential conductance (Vogels & Abbott 2005; Brette et al. 2007, benchmark 1):

    tau dg/dt = -g,   g <- g + w at each arriving spike,   I = g (E - v)

Alpha conductance: g as in :class:`spikesim.synapses.Alpha`, I = g (E - v).

v is the postsynaptic potential at the start of the step, and the neuron gets the step's mean
conductance times (E - v), as for the exponential current (see :mod:`.exponential`). A neuron
model that integrates conductances itself (its ``update`` takes ``g_syn``, ``gE_syn``: the
Hodgkin-Huxley model) gets the step's mean conductance ``conductance()`` and ``E`` instead."""
from __future__ import annotations

import math

from .alpha import ramp_factor
from .base import SynapseModel, positive
from .exponential import mean_factor


class Conductance(SynapseModel):
    state = {"g": 0.0}
    params = {"tau": 5.0, "E": 0.0}
    target = "g"

    def __init__(self, tau=5.0, E=0.0, name=None):
        super().__init__(name=name, tau=tau, E=E)

    def validate(self, arrays):
        positive(self, arrays, "tau")

    @staticmethod
    def derived(dt, tau):
        return {"decay": math.exp(-dt / tau), "q": mean_factor(dt, tau)}

    reversal = "E"

    @staticmethod
    def current(g, q, E, v):
        return g * q * (E - v)

    @staticmethod
    def conductance(g, q):
        return g * q

    @staticmethod
    def update(g, decay):
        return (g * decay,)


class AlphaConductance(SynapseModel):
    state = {"g": 0.0, "h": 0.0}
    params = {"tau": 5.0, "E": 0.0}
    target = "h"

    def __init__(self, tau=5.0, E=0.0, name=None):
        super().__init__(name=name, tau=tau, E=E)

    def validate(self, arrays):
        positive(self, arrays, "tau")

    @staticmethod
    def derived(dt, tau):
        return {"decay": math.exp(-dt / tau), "step": dt / tau, "q": mean_factor(dt, tau),
                "r": ramp_factor(dt, tau)}

    reversal = "E"

    @staticmethod
    def current(g, h, q, r, E, v):
        return math.e * (g * q + h * r) * (E - v)

    @staticmethod
    def conductance(g, h, q, r):
        return math.e * (g * q + h * r)

    @staticmethod
    def update(g, h, decay, step):
        return (g + h * step) * decay, h * decay
