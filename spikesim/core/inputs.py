"""Spike-emitting input populations: explicit spike times, and seeded Poisson sources.

Both are populations: they can be the presynaptic side of ``Network.connect`` and their spikes
can be recorded. (Currents are injected with ``Network.inject``.)
"""
from __future__ import annotations

import numpy as np


class SpikeSource:
    """``n`` sources that spike at the given times (ms) and ids (0..n-1).

    Times are rounded to the nearest step at build; several spikes of one source in one step
    count once.
    """

    kind = "spike_source"
    state_vars: tuple[str, ...] = ()

    def __init__(self, n: int, times, ids):
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"SpikeSource n must be a positive integer, got {n!r}")
        self.n = int(n)
        self.times = np.asarray(times, dtype=np.float64).ravel()
        self.ids = np.asarray(ids).ravel()
        if self.times.shape != self.ids.shape:
            raise ValueError(f"SpikeSource times and ids must have the same length, got {self.times.size} and {self.ids.size}")
        if self.ids.size and (not np.issubdtype(self.ids.dtype, np.integer)):
            if not np.all(self.ids == np.round(self.ids)):
                raise ValueError("SpikeSource ids must be integers")
        self.ids = self.ids.astype(np.int64)
        if not np.all(np.isfinite(self.times)):
            raise ValueError("SpikeSource times contain NaN or inf")
        if np.any(self.times < 0):
            raise ValueError("SpikeSource times must be >= 0 ms")
        if self.ids.size and (self.ids.min() < 0 or self.ids.max() >= self.n):
            raise ValueError(f"SpikeSource ids must lie in 0..{self.n - 1}")

    def __repr__(self) -> str:
        return f"SpikeSource(n={self.n}, spikes={self.times.size})"


class Poisson:
    """``n`` independent Poisson sources at ``rate_hz`` (scalar or (n,)).

    In each step of length dt a source fires when u < rate * dt, u drawn from the counter-based
    stream keyed by (network seed, population index, step, neuron), so every backend emits the
    same spikes (Bernoulli approximation of a Poisson process; exact as dt -> 0).
    """

    kind = "poisson"
    state_vars: tuple[str, ...] = ()

    def __init__(self, n: int, rate_hz):
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"Poisson n must be a positive integer, got {n!r}")
        self.n = int(n)
        rate = np.asarray(rate_hz, dtype=np.float64)
        rate = np.full(self.n, float(rate)) if rate.ndim == 0 else rate
        if rate.shape != (self.n,):
            raise ValueError(f"Poisson rate_hz must be a scalar or shape ({self.n},), got {rate.shape}")
        if not np.all(np.isfinite(rate)) or np.any(rate < 0):
            raise ValueError("Poisson rate_hz must be finite and >= 0")
        self.rate_hz = rate

    def __repr__(self) -> str:
        return f"Poisson(n={self.n}, mean rate={self.rate_hz.mean():.3g} Hz)"
