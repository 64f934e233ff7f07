"""Event-driven spiking self-attention on Numba (CPU); same algorithm and operation count as
:mod:`spikesim.backends.reference.ssa` (see there for the equations and the cost of each order).

Layers: :func:`ssa_event` (public: validates, builds the spike lists) -> :func:`ssa_event_lists`
(driver, takes spike lists only) -> ``_ssa_kernel`` (parallel over chunks of slices) -> ``_slice``
(one head and time step, additions only; sparse intermediate). :func:`spikes_to_lists` turns a dense binary array
into the spike lists (compiled; the NumPy reference has the same name and results). Accumulators are float32 holding small integers, so the sums are exact.
"""
from __future__ import annotations


import numba
import numpy as np

from spikesim.backends.reference.ssa import ORDERS, check_qkv, estimated_costs, k_feature_lists, slice_order
from spikesim.backends.scalar import compile_scalar

_inline = numba.njit(inline="always", cache=True)
_slice_order = compile_scalar(slice_order, _inline, estimated_costs=compile_scalar(estimated_costs, _inline))
_k_feature_lists = compile_scalar(k_feature_lists, _inline)


@numba.njit(cache=True, inline="always")
def _slice(g, n, d, qp, qi, kp, ki, vp, vi, mode, out, orders, costs, colk, fill, ktok, M, cnt, lst):
    """One slice. Scratch: M [max(n,d), max(n,d)] float32 (all zero on entry and exit), cnt
    [max(n,d)] (zero on entry and exit), lst [max(n,d), max(n,d)] int32 (lists of non-zeros)."""
    base = g * n
    # (out[g] is zero on entry: the driver allocates it with np.zeros)
    # exact stage-1 pair counts of both orders; K's per-feature counts (for order 1 lists)
    use, p0, p1 = _slice_order(base, n, d, qp, qi, kp, ki, vp, mode, colk)
    orders[g] = use
    ops = 0
    if use == 0:
        # M[i, j] = (K^T V)[i, j] from pairs of spikes of the same token; lst[i] = its non-zero j
        for t in range(n):
            for a in range(kp[base + t], kp[base + t + 1]):
                i = ki[a]
                for b in range(vp[base + t], vp[base + t + 1]):
                    j = vi[b]
                    if M[i, j] == 0.0:
                        lst[i, cnt[i]] = j
                        cnt[i] += 1
                    M[i, j] += 1.0
        ops += p0
        # every Q spike (m, i) adds the non-zeros of row i
        for m in range(n):
            for a in range(qp[base + m], qp[base + m + 1]):
                i = qi[a]
                c = cnt[i]
                for r in range(c):
                    j = lst[i, r]
                    out[g, m, j] += M[i, j]
                ops += c
        for i in range(d):
            for r in range(cnt[i]):
                M[i, lst[i, r]] = 0.0
            cnt[i] = 0
    else:
        _k_feature_lists(base, n, d, kp, ki, colk, fill, ktok)
        # M[t, m] = (Q K^T)[m, t] from pairs of spikes of the same feature; lst[t] = its non-zero m
        for m in range(n):
            for a in range(qp[base + m], qp[base + m + 1]):
                i = qi[a]
                for b in range(colk[i], colk[i + 1]):
                    t = ktok[b]
                    if M[t, m] == 0.0:
                        lst[t, cnt[t]] = m
                        cnt[t] += 1
                    M[t, m] += 1.0
        ops += p1
        # every V spike (t, j) adds the non-zeros of column t of A
        for t in range(n):
            c = cnt[t]
            for b in range(vp[base + t], vp[base + t + 1]):
                j = vi[b]
                for r in range(c):
                    m = lst[t, r]
                    out[g, m, j] += M[t, m]
                ops += c
        for t in range(n):
            for r in range(cnt[t]):
                M[t, lst[t, r]] = 0.0
            cnt[t] = 0
    costs[g] = ops


@numba.njit(cache=True, parallel=True)
def _ssa_kernel(G, n, d, qp, qi, kp, ki, vp, vi, mode, out, orders, costs, n_chunks):
    w = max(n, d)
    for c in numba.prange(n_chunks):
        # scratch allocated once per chunk of slices (kept zero between slices)
        colk = np.zeros(d + 1, dtype=np.int64)
        fill = np.zeros(d, dtype=np.int64)
        ktok = np.zeros(n * d, dtype=np.int32)
        M = np.zeros((w, w), dtype=np.float32)
        cnt = np.zeros(w, dtype=np.int64)
        lst = np.zeros((w, w), dtype=np.int32)
        for g in range(c * G // n_chunks, (c + 1) * G // n_chunks):
            _slice(g, n, d, qp, qi, kp, ki, vp, vi, mode, out, orders, costs, colk, fill, ktok, M, cnt, lst)


@numba.njit(cache=True, parallel=True)
def spikes_to_lists(x):
    """Token-major spike lists ``(indptr [G*N+1], features int32)`` of a binary array [G, N, d];
    raises ValueError for a value other than 0 or 1. Compiled form of
    :func:`spikesim.backends.reference.ssa.spikes_to_lists` (same results)."""
    G, n, d = x.shape
    counts = np.zeros(G * n + 1, dtype=np.int64)
    bad = np.zeros(G, dtype=np.bool_)
    for g in numba.prange(G):
        for t in range(n):
            c = 0
            for j in range(d):
                v = x[g, t, j]
                if v != 0:
                    c += 1
                    if v != 1:
                        bad[g] = True
            counts[g * n + t + 1] = c
    if bad.any():
        raise ValueError("spike arrays must be binary (0/1)")
    indptr = np.cumsum(counts)
    idx = np.empty(indptr[-1], dtype=np.int32)
    for g in numba.prange(G):
        for t in range(n):
            p = indptr[g * n + t]
            for j in range(d):
                if x[g, t, j] != 0:
                    idx[p] = j
                    p += 1
    return indptr, idx


def ssa_event_lists(G: int, n: int, d: int, q_lists, k_lists, v_lists, scale: float = 0.125, order: str = "auto"):
    """Driver on spike lists ``(indptr [G*n+1], features)`` of Q, K, V (token-major, as from
    :func:`spikes_to_lists`). Returns ``(out [G, n, d] float32, sops, orders [G])``."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {list(ORDERS)}, got {order!r}")
    for name, (p, _) in (("q", q_lists), ("k", k_lists), ("v", v_lists)):
        if len(p) != G * n + 1:
            raise ValueError(f"{name} indptr has length {len(p)}, expected G*n+1 = {G * n + 1}")
    if G < 1:
        raise ValueError(f"G must be >= 1, got {G}")
    out = np.zeros((G, n, d), dtype=np.float32)
    orders = np.empty(G, dtype=np.int8)
    costs = np.empty(G, dtype=np.int64)
    (qp, qi), (kp, ki), (vp, vi) = q_lists, k_lists, v_lists
    n_chunks = min(G, 4 * numba.get_num_threads())
    _ssa_kernel(G, n, d, qp, qi, kp, ki, vp, vi, ORDERS[order], out, orders, costs, n_chunks)
    out *= np.float32(scale)
    return out, int(costs.sum()), orders


def ssa_event(q, k, v, scale: float = 0.125, order: str = "auto"):
    """Event-driven SSA from dense binary ``q, k, v`` ``[..., N, d]`` (numpy or torch).
    Returns ``(out [..., N, d] float32, sops, orders [...] int8)``."""
    arrs, lead = check_qkv(q, k, v, order, check_binary=False)   # the list builder checks 0/1
    G, n, d = arrs[0].shape
    lists = []
    for name, a in zip("qkv", arrs):
        try:
            lists.append(spikes_to_lists(np.ascontiguousarray(a)))
        except ValueError:
            raise ValueError(f"{name} must be binary (spikes 0/1)") from None
    out, sops, orders = ssa_event_lists(G, n, d, *lists, scale, order)
    return out.reshape(*lead, n, d), sops, orders.reshape(lead)
