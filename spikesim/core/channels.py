"""Channel currents: C input channels, each a fixed pattern over the neurons, with amplitudes
over a window of steps that the host replaces between runs without rebuilding the network.

``net.inject(pop, ChannelCurrent(weights, steps))`` with ``weights`` of shape (C, n): in step
n the neuron i gets I_i += sum_c a_c(n) * weights[c, i] (channels in order). The amplitudes
a (rows = steps, C columns) are given with ``Network.set_amplitudes(current, a)``: row j applies
to step (now + j), steps outside the given rows get a = 0; ``steps`` is the window's capacity.
Used for trial-structured stimuli (a cue on one channel, events on others) repeated run after
run, where a time array (``inject`` of an (n_steps, n) array) would have to grow with time.
"""
from __future__ import annotations

import numpy as np

from spikesim.core.validate import check_int


class ChannelCurrent:
    def __init__(self, weights, steps: int):
        w = np.array(weights, dtype=np.float64)
        if w.ndim != 2 or w.shape[0] < 1 or not np.all(np.isfinite(w)):
            raise ValueError(f"ChannelCurrent weights must be a finite (channels, n) array, got shape {w.shape}")
        self.weights = np.ascontiguousarray(w)
        self.steps = check_int(steps, "ChannelCurrent steps", low=1)
        self.amplitudes = np.zeros((self.steps, w.shape[0]))     # the window (written in place)
        self.control = np.zeros(1)                               # [first step of the window]

    @property
    def n_channels(self) -> int:
        return self.weights.shape[0]

    def arrays(self, n: int):
        if self.weights.shape[1] != n:
            raise ValueError(f"ChannelCurrent weights have {self.weights.shape[1]} columns for a population of {n}")
        return self.weights, self.amplitudes, self.control

    def __repr__(self) -> str:
        return f"ChannelCurrent(channels={self.n_channels}, steps={self.steps})"
