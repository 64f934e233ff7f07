"""Numba kernels of the batched Oja subspace update (HLOP's subspace neurons).

Three layers, as everywhere in the backends:
  * public API :func:`update` / :func:`update_from_spike_events` (validate, prepare),
  * drivers that loop over iterations / events,
  * the update itself (dense products via ``np.dot`` inside ``njit``).

:func:`update_from_spike_events` is the event-driven path: presynaptic spikes arrive as events
(time step, sample, neuron); each event adds its decayed contribution to an exponential trace
read out at the end of the window, which is exactly the weighted firing rate
sum_t beta^(T-1-t) s[t] / sum_t beta^(T-1-t) that HLOP's Hebbian learning sees (DSR training).
"""
from __future__ import annotations

import numba
import numpy as np

from spikesim.plasticity.oja_subspace import OjaSubspaceRule, SubspaceState, check_batch


@numba.njit(cache=True)
def _oja_iterations(H, mom, X, n_frozen, lr, momentum, clip, iterations):
    B = X.shape[0]
    k, n = H.shape
    for _ in range(iterations):
        Y = np.dot(X, H.T)
        R = X - np.dot(Y, H)
        D = np.dot(Y.T, R) / B
        for i in range(n_frozen, k):
            for j in range(n):
                d = D[i, j]
                if d > clip:
                    d = clip
                elif d < -clip:
                    d = -clip
                mom[i, j] = momentum * mom[i, j] + (1.0 - momentum) * d
                H[i, j] += lr * mom[i, j]


@numba.njit(cache=True)
def _traces_from_events(steps, samples, ids, amplitude, T, B, n, beta):
    X = np.zeros((B, n))
    norm = 0.0
    for t in range(T):
        norm += beta ** (T - 1 - t)
    for e in range(steps.shape[0]):
        X[samples[e], ids[e]] += amplitude * beta ** (T - 1 - steps[e])
    return X / norm


def update(state: SubspaceState, X: np.ndarray, rule: OjaSubspaceRule) -> None:
    """Run ``rule.iterations`` Oja steps on batch ``X`` (B, n); updates ``state`` in place."""
    X = check_batch(X, state.n_in)
    if state.k == state.n_frozen:
        return
    _oja_iterations(state.H, state.momentum, X, int(state.n_frozen), float(rule.lr),
                    float(rule.momentum), float(rule.clip), int(rule.iterations))


def traces_from_events(steps, samples, ids, *, T: int, B: int, n: int, beta: float,
                       amplitude: float = 1.0) -> np.ndarray:
    """(B, n) weighted firing rates from spike events (integer step in [0, T), sample, neuron)."""
    steps = np.ascontiguousarray(steps, dtype=np.int64)
    samples = np.ascontiguousarray(samples, dtype=np.int64)
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    if not (steps.shape == samples.shape == ids.shape) or steps.ndim != 1:
        raise ValueError("steps, samples and ids must be 1-d arrays of the same length")
    if T < 1 or B < 1 or n < 1:
        raise ValueError(f"T, B and n must be positive, got T={T}, B={B}, n={n}")
    if not (0.0 < beta <= 1.0):
        raise ValueError(f"beta must be in (0, 1], got {beta}")
    for name, a, hi in (("steps", steps, T), ("samples", samples, B), ("ids", ids, n)):
        if a.size and (a.min() < 0 or a.max() >= hi):
            raise ValueError(f"{name} must lie in [0, {hi})")
    return _traces_from_events(steps, samples, ids, float(amplitude), int(T), int(B), int(n), float(beta))


def update_from_spike_events(state: SubspaceState, rule: OjaSubspaceRule, steps, samples, ids, *,
                             T: int, B: int, beta: float, amplitude: float = 1.0) -> np.ndarray:
    """Event-driven Hebbian step: traces from spike events, then the batched Oja update.

    Returns the (B, n) traces that were learned from."""
    X = traces_from_events(steps, samples, ids, T=T, B=B, n=state.n_in, beta=beta, amplitude=amplitude)
    update(state, X, rule)
    return X
