"""In-loop noise currents drawn from the counter-based stream (identical on every backend).

``GaussianCurrent(mean, sd)``: each step every neuron gets I_noise = mean + sd * z, z ~ N(0, 1)
drawn fresh per step and neuron (the current is held over the step). For white noise of
intensity sigma (Brian2's ``sigma * xi * sqrt(tau)`` style, in units of current * sqrt(ms)) use
``sd = sigma / sqrt(dt)``. z comes from the Box-Muller transform of two counter-based uniforms
keyed by (seed, stream of the population's name and the input's position, step, neuron), see
:func:`spikesim.rng.counter.counter_normal` (``method="box-muller"``, the default), or by the
ziggurat method from one such key (``method="ziggurat"``, :mod:`spikesim.rng.ziggurat`: other
numbers of the same distribution, about five times cheaper to draw; every backend still draws
the same ones).
"""
from __future__ import annotations

import numpy as np

from spikesim.neurons.base import per_neuron


METHODS = ("box-muller", "ziggurat")


class GaussianCurrent:
    def __init__(self, mean=0.0, sd=1.0, method: str = "box-muller"):
        if method not in METHODS:
            raise ValueError(f"GaussianCurrent method={method!r} is not one of {list(METHODS)}")
        self.mean, self.sd, self.method = mean, sd, method
        for name, v in (("mean", mean), ("sd", sd)):
            per_neuron(f"GaussianCurrent {name}", v, np.size(v))
        if np.any(np.asarray(sd, dtype=float) < 0):
            raise ValueError("GaussianCurrent sd must be >= 0")

    def arrays(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        return per_neuron("GaussianCurrent mean", self.mean, n), per_neuron("GaussianCurrent sd", self.sd, n)

    def __repr__(self):
        extra = "" if self.method == "box-muller" else f", method={self.method!r}"
        return f"GaussianCurrent(mean={self.mean}, sd={self.sd}{extra})"
