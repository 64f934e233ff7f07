"""Pulse synapse: an arriving spike gives a current w for exactly one step.

    I <- I + x;   x <- 0 after the step

The ``target="I"`` shorthand (net.m of Izhikevich 2003: I = I_ext + sum of the weights of the
spikes that arrived). Its current is added before any other synapse's."""
from __future__ import annotations

from .base import SynapseModel


class Pulse(SynapseModel):
    state = {"x": 0.0}
    params: dict = {}
    target = "x"
    rank = 0

    def __init__(self, name: str | None = None):
        super().__init__(name=name)

    def default_name(self):
        return "pulse"

    @staticmethod
    def current(x):
        return x

    @staticmethod
    def update():
        return (0.0,)
