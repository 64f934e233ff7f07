"""A non-spiking unit that shows the input current of each step: ``v(n) = I(n)``.

For recording what a projection, an attention operation or an input delivers to a target (the
summed synaptic current of the step, before any membrane dynamics): record ``v`` with
``net.record(probe, state="v")``. It never spikes and its reset is the identity.
"""
from __future__ import annotations

from .base import NeuronModel


class CurrentProbe(NeuronModel):
    """``n`` units whose state ``v`` is the input current of the current step."""

    state = {"v": 0.0}
    params: dict = {}

    @staticmethod
    def update(v, I):
        return (I,)

    @staticmethod
    def threshold(v):
        return v > 1e300

    @staticmethod
    def reset(v):
        return (v,)
