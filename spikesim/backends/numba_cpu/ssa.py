"""Event-driven spiking self-attention on Numba (CPU); same algorithm and operation count as
:mod:`spikesim.backends.reference.ssa` (see there for the equations and the cost of each order).

Layers: :func:`ssa_event` (public: validates, builds the spike lists) -> :func:`ssa_event_lists`
(driver, takes spike lists only) -> ``_ssa_kernel`` (parallel over slices, additions only).
"""
from __future__ import annotations

import numba
import numpy as np

from spikesim.backends.reference.ssa import ORDERS, check_qkv, spikes_to_lists


@numba.njit(cache=True, parallel=True)
def _ssa_kernel(G, n, d, qp, qi, kp, ki, vp, vi, mode, out, orders, costs):
    for g in numba.prange(G):
        base = g * n
        # cost of order 0: sum_n |K_n||V_n| + |Q| d
        c0 = 0
        for t in range(n):
            c0 += (kp[base + t + 1] - kp[base + t]) * (vp[base + t + 1] - vp[base + t])
        c0 += (qp[base + n] - qp[base]) * d
        # cost of order 1: sum_i |Q_:i||K_:i| + |V| N (needs per-feature counts of K)
        colk = np.zeros(d + 1, dtype=np.int64)
        for a in range(kp[base], kp[base + n]):
            colk[ki[a] + 1] += 1
        c1 = 0
        for a in range(qp[base], qp[base + n]):
            c1 += colk[qi[a] + 1]
        c1 += (vp[base + n] - vp[base]) * n
        use = mode
        if mode < 0:
            use = 0 if c0 <= c1 else 1
        orders[g] = use
        acc = np.zeros((n, d), dtype=np.int32)
        if use == 0:
            S = np.zeros((d, d), dtype=np.int32)
            for t in range(n):
                for a in range(kp[base + t], kp[base + t + 1]):
                    i = ki[a]
                    for b in range(vp[base + t], vp[base + t + 1]):
                        S[i, vi[b]] += 1
            for m in range(n):
                for a in range(qp[base + m], qp[base + m + 1]):
                    i = qi[a]
                    for j in range(d):
                        acc[m, j] += S[i, j]
            costs[g] = c0
        else:
            # feature-major lists of K (tokens per feature), by counting sort
            for i in range(d):
                colk[i + 1] += colk[i]
            fill = colk[:d].copy()
            ktok = np.empty(kp[base + n] - kp[base], dtype=np.int32)
            for t in range(n):
                for a in range(kp[base + t], kp[base + t + 1]):
                    i = ki[a]
                    ktok[fill[i]] = t
                    fill[i] += 1
            A = np.zeros((n, n), dtype=np.int32)
            for m in range(n):
                for a in range(qp[base + m], qp[base + m + 1]):
                    i = qi[a]
                    for b in range(colk[i], colk[i + 1]):
                        A[m, ktok[b]] += 1
            for t in range(n):
                for b in range(vp[base + t], vp[base + t + 1]):
                    j = vi[b]
                    for m in range(n):
                        acc[m, j] += A[m, t]
            costs[g] = c1
        for m in range(n):
            for j in range(d):
                out[g, m, j] = acc[m, j]


def ssa_event_lists(G: int, n: int, d: int, q_lists, k_lists, v_lists, scale: float = 0.125, order: str = "auto"):
    """Driver on spike lists ``(indptr [G*n+1], features)`` of Q, K, V (token-major, as from
    :func:`spikes_to_lists`). Returns ``(out [G, n, d] float32, sops, orders [G])``."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {list(ORDERS)}, got {order!r}")
    for name, (p, _) in (("q", q_lists), ("k", k_lists), ("v", v_lists)):
        if len(p) != G * n + 1:
            raise ValueError(f"{name} indptr has length {len(p)}, expected G*n+1 = {G * n + 1}")
    out = np.empty((G, n, d), dtype=np.float32)
    orders = np.empty(G, dtype=np.int8)
    costs = np.empty(G, dtype=np.int64)
    (qp, qi), (kp, ki), (vp, vi) = q_lists, k_lists, v_lists
    _ssa_kernel(G, n, d, qp, qi, kp, ki, vp, vi, ORDERS[order], out, orders, costs)
    out *= np.float32(scale)
    return out, int(costs.sum()), orders


def ssa_event(q, k, v, scale: float = 0.125, order: str = "auto"):
    """Event-driven SSA from dense binary ``q, k, v`` ``[..., N, d]`` (numpy or torch).
    Returns ``(out [..., N, d] float32, sops, orders [...] int8)``."""
    (q, k, v), lead = check_qkv(q, k, v, order)
    G, n, d = q.shape
    out, sops, orders = ssa_event_lists(G, n, d, spikes_to_lists(q), spikes_to_lists(k), spikes_to_lists(v),
                                        scale, order)
    return out.reshape(*lead, n, d), sops, orders.reshape(lead)
