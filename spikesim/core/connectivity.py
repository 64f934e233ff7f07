"""Connectivity rules: seeded, vectorised builders of (pre, post, w) triplets for ``Network.connect``.

Each returns a tuple ``(pre, post, w)`` of equal-length arrays (local ids), sorted by (pre,
post), ready for ``net.connect(a, b, triplet, delays=...)``; ``weight`` is a scalar, an array
with one value per synapse, or a callable ``weight(rng, n) -> (n,) array``. ``seed`` makes the
draw reproducible (a ``numpy.random.Generator`` is accepted too). ``autapses=False`` removes
i -> i synapses (for a population connected to itself).

* :func:`fixed_probability`: every pair independently with probability p (Brian2's
  ``connect(p=...)``, NEST's ``pairwise_bernoulli``);
* :func:`fixed_indegree`: each postsynaptic neuron gets exactly K distinct presynaptic partners
  (NEST ``fixed_indegree``, Brunel 2000);
* :func:`fixed_outdegree`: each presynaptic neuron gets exactly K distinct targets;
* :func:`one_to_one`: i -> i;
* :func:`distance_dependent`: pair (i, j) with probability p(|x_i - y_j|) for given positions,
  p a callable of the distance array (e.g. ``gaussian(p_max, sigma)``).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

_CHUNK = 1 << 22     # pairs drawn at once (bounded memory)


def _rng(seed):
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _count(n, name):
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")
    return int(n)


def _finish(pre, post, weight, rng, autapses):
    pre, post = np.asarray(pre, dtype=np.int64), np.asarray(post, dtype=np.int64)
    if not autapses:
        keep = pre != post
        pre, post = pre[keep], post[keep]
    order = np.lexsort((post, pre))
    pre, post = pre[order], post[order]
    if callable(weight):
        w = np.asarray(weight(rng, pre.size), dtype=np.float64)
    else:
        w = np.asarray(weight, dtype=np.float64)
        if w.ndim == 0:
            w = np.full(pre.size, float(w))
    if w.shape != pre.shape:
        raise ValueError(f"weight must be a scalar, {pre.size} values or a callable giving them, got shape {w.shape}")
    return pre, post, w


def _probability(p, name="p"):
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {p!r}")
    return float(p)


def fixed_probability(n_pre: int, n_post: int, p: float, weight=1.0, seed=0, autapses: bool = True):
    n_pre, n_post, p = _count(n_pre, "n_pre"), _count(n_post, "n_post"), _probability(p)
    rng = _rng(seed)
    rows = max(1, _CHUNK // n_post)
    pre, post = [], []
    for r0 in range(0, n_pre, rows):
        r1 = min(n_pre, r0 + rows)
        i, j = np.nonzero(rng.random((r1 - r0, n_post)) < p)
        pre.append(i + r0)
        post.append(j)
    return _finish(np.concatenate(pre), np.concatenate(post), weight, rng, autapses)


def _fixed_degree(n_from, n_to, k, rng, autapses, same):
    """For each of n_to neurons, k distinct partners among n_from (excluding itself if needed)."""
    pool = n_from - (0 if autapses or not same else 1)
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 0 <= k <= pool:
        raise ValueError(f"degree K must be an integer in 0..{pool}, got {k!r}")
    partners = np.empty((n_to, k), dtype=np.int64)
    for j in range(n_to):
        c = rng.choice(pool, size=k, replace=False)
        if same and not autapses:
            c = c + (c >= j)              # skip j itself
        partners[j] = c
    return partners


def fixed_indegree(n_pre: int, n_post: int, k: int, weight=1.0, seed=0, autapses: bool = True):
    n_pre, n_post = _count(n_pre, "n_pre"), _count(n_post, "n_post")
    rng = _rng(seed)
    partners = _fixed_degree(n_pre, n_post, k, rng, autapses, n_pre == n_post)
    return _finish(partners.ravel(), np.repeat(np.arange(n_post), k), weight, rng, True)


def fixed_outdegree(n_pre: int, n_post: int, k: int, weight=1.0, seed=0, autapses: bool = True):
    n_pre, n_post = _count(n_pre, "n_pre"), _count(n_post, "n_post")
    rng = _rng(seed)
    partners = _fixed_degree(n_post, n_pre, k, rng, autapses, n_pre == n_post)
    return _finish(np.repeat(np.arange(n_pre), k), partners.ravel(), weight, rng, True)


def one_to_one(n: int, weight=1.0, seed=0):
    n = _count(n, "n")
    return _finish(np.arange(n), np.arange(n), weight, _rng(seed), True)


def gaussian(p_max: float, sigma: float) -> Callable[[np.ndarray], np.ndarray]:
    """p(d) = p_max exp(-d^2 / (2 sigma^2)) for :func:`distance_dependent`."""
    _probability(p_max, "p_max")
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma!r}")
    return lambda d: p_max * np.exp(-d * d / (2.0 * sigma * sigma))


def distance_dependent(pre_positions, post_positions, probability: Callable, weight=1.0, seed=0,
                       autapses: bool = True):
    x = np.atleast_2d(np.asarray(pre_positions, dtype=np.float64))
    y = np.atleast_2d(np.asarray(post_positions, dtype=np.float64))
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1] or not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("positions must be finite (n, d) arrays with the same d for pre and post")
    if not callable(probability):
        raise TypeError("probability must be a callable of the distance array, e.g. gaussian(p_max, sigma)")
    rng = _rng(seed)
    rows = max(1, _CHUNK // y.shape[0])
    pre, post = [], []
    for r0 in range(0, x.shape[0], rows):
        d = np.sqrt(((x[r0:r0 + rows, None, :] - y[None, :, :]) ** 2).sum(-1))
        pr = np.asarray(probability(d), dtype=np.float64)
        if pr.shape != d.shape or np.any(~np.isfinite(pr)) or np.any(pr < 0) or np.any(pr > 1):
            raise ValueError("probability(d) must return values in [0, 1] of the distances' shape")
        i, j = np.nonzero(rng.random(d.shape) < pr)
        pre.append(i + r0)
        post.append(j)
    return _finish(np.concatenate(pre), np.concatenate(post), weight, rng, autapses)
