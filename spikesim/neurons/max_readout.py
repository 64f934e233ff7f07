"""Memoryless readout of two synaptic sums, the output unit of the heterogeneous-delay layer.

Grimaldi, A. & Perrinet, L. U. (2023). Learning heterogeneous delays in a layer of spiking
neurons for fast motion detection. Biol. Cybern. 117, 373-387, doi:10.1007/s00422-023-00975-8.

Two inputs arrive as jumps on the state variables ``a`` and ``b`` (``ss.synapses.Delta("a")``,
``Delta("b")``) in the step they are due, i.e. after their synaptic delay. The update reads and
clears them and sets the output::

    z(n) = beta + max(a(n), b(n))        two_sets = 1 (ON/OFF "complex cell": b sums the
                                          polarity-swapped synapses)
    z(n) = beta + a(n)                   two_sets = 0
    a(n+), b(n+) = 0

so with one synapse per (polarity, delay, dx, dy) weight, ``z(n)`` is exactly the logit of the
causal 3-D convolution for the frame whose contributions were delivered at step n. The unit is
non-spiking unless a threshold is given: ``spiking = 1`` makes it spike when ``z >= theta``
(the paper's output spikes, section 2.3). The reset leaves the state unchanged.
"""
from __future__ import annotations

from .base import NeuronModel


class MaxReadout(NeuronModel):
    """``n`` readout units. ``beta``: bias (scalar or per unit); ``two_sets``: take the max of
    ``a`` and ``b`` (True) or read ``a`` alone; ``theta``: spike threshold on ``z`` (None: never
    spikes)."""

    state = {"a": 0.0, "b": 0.0, "z": 0.0}
    params = {"beta": 0.0, "two_sets": 1.0, "theta": 0.0, "spiking": 0.0}

    def __init__(self, n, beta=0.0, two_sets: bool = True, theta=None):
        if not isinstance(two_sets, (bool, int)) or two_sets not in (0, 1):
            raise ValueError(f"MaxReadout two_sets must be True or False, got {two_sets!r}")
        super().__init__(n, beta=beta, two_sets=float(two_sets), theta=0.0 if theta is None else theta,
                         spiking=0.0 if theta is None else 1.0)

    @staticmethod
    def update(a, b, beta, two_sets):
        m = a if (two_sets < 0.5 or a >= b) else b
        return 0.0, 0.0, beta + m

    @staticmethod
    def threshold(z, theta, spiking):
        return (z >= theta) & (spiking > 0.5)

    @staticmethod
    def reset(a, b, z):
        return a, b, z
