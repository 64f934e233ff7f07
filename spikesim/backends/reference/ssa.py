"""Event-driven spiking self-attention, NumPy reference (slow, obviously right).

Computes Y = Q K^T V * scale per slice g (one head and time step) from the spike lists of
binary Q, K, V ([G, N, d]) with additions only, in one of two association orders (Zhou et al.,
Spikformer, ICLR 2023, Eq. 15 and section 3.3). The intermediate is kept sparse, so the second
stage touches only its non-zero entries:

* order 0, Q (K^T V): for every pair of spikes K[n, i], V[n, j] of the same token,
  S[i, j] += 1; then for every spike Q[m, i] and every non-zero S[i, j], out[m, j] += S[i, j].
  Accumulations: sum_n |K_n| |V_n| + sum_{(m, i) in Q} nnz(S_i).
* order 1, (Q K^T) V: for every pair of spikes Q[m, i], K[n, i] of the same feature,
  A[m, n] += 1; then for every spike V[n, j] and every non-zero A[m, n], out[m, j] += A[m, n].
  Accumulations: sum_i |Q_:i| |K_:i| + sum_{(n, j) in V} nnz(A_:n).

``order="auto"`` picks the order with the smaller *estimated* cost, from quantities known before
the intermediate is built: the exact pair count P of stage 1 and the expected stage-2 cost for
uniformly spread pairs (density of non-zeros 1 - exp(-P / size))::

    est0 = P0 + |Q| d (1 - exp(-P0 / d^2)),    est1 = P1 + |V| N (1 - exp(-P1 / N^2))

(ties -> order 0). The count returned is the exact number of accumulations performed. The
final multiplication by the scale (a power of two, 0.125: a shift, or folded into the 0.5
threshold of the attention neuron) is not an accumulation and is not counted.
"""
from __future__ import annotations

import math

import numpy as np

ORDERS = {"auto": -1, "q_ktv": 0, "qkt_v": 1}


def estimated_costs(pairs0: float, pairs1: float, nq: float, nv: float, n: int, d: int) -> tuple[float, float]:
    """The auto-order estimates ``(est0, est1)`` (see the module docstring)."""
    e0 = pairs0 + nq * d * (1.0 - math.exp(-pairs0 / (d * d)))
    e1 = pairs1 + nv * n * (1.0 - math.exp(-pairs1 / (n * n)))
    return e0, e1


def slice_order(base, n, d, qp, qi, kp, ki, vp, mode, colk):
    """Exact stage-1 pair counts P0 (K^T V) and P1 (Q K^T) of the slice whose tokens start at
    ``base`` in the token-major spike lists, and the order to use (``mode`` >= 0 forces it).
    Leaves K's spike count of feature i in ``colk[i + 1]`` (``colk[0] = 0``). Plain loops, so the
    CPU and GPU kernels compile this one function. Returns (order, P0, P1)."""
    p0 = 0
    for t in range(n):
        p0 += (kp[base + t + 1] - kp[base + t]) * (vp[base + t + 1] - vp[base + t])
    for i in range(d + 1):
        colk[i] = 0
    for a in range(kp[base], kp[base + n]):
        colk[ki[a] + 1] += 1
    p1 = 0
    for a in range(qp[base], qp[base + n]):
        p1 += colk[qi[a] + 1]
    use = mode
    if mode < 0:
        e0, e1 = estimated_costs(p0, p1, qp[base + n] - qp[base], vp[base + n] - vp[base], n, d)
        use = 0 if e0 <= e1 else 1
    return use, p0, p1


def k_feature_lists(base, n, d, kp, ki, colk, fill, ktok):
    """Turn the per-feature counts left in ``colk`` by :func:`slice_order` into feature-major
    lists of K's spikes (counting sort): the tokens of feature i are ``ktok[colk[i]:colk[i + 1]]``.
    Plain loops, compiled for the CPU and GPU kernels."""
    for i in range(d):
        colk[i + 1] += colk[i]
    for i in range(d):
        fill[i] = colk[i]
    for t in range(n):
        for a in range(kp[base + t], kp[base + t + 1]):
            i = ki[a]
            ktok[fill[i]] = t
            fill[i] += 1


def spikes_to_lists(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Token-major spike lists of a binary array [G, N, d]: CSR ``(indptr [G*N+1], features int32)``;
    raises ValueError for a value other than 0 or 1 (as its compiled form in ``numba_cpu.ssa``)."""
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"spike array must be [G, N, d], got shape {x.shape}")
    if not ((x == 0) | (x == 1)).all():
        raise ValueError("spike arrays must be binary (0/1)")
    rows = x.reshape(-1, x.shape[-1]) != 0
    indptr = np.zeros(rows.shape[0] + 1, dtype=np.int64)
    np.cumsum(rows.sum(1), out=indptr[1:])
    return indptr, np.nonzero(rows)[1].astype(np.int32)


def check_qkv(q, k, v, order: str, check_binary: bool = True):
    """Validate q, k, v ([..., N, d], binary) and reshape to [G, N, d]; returns (arrays, lead shape).
    ``check_binary=False`` leaves the 0/1 check to a caller whose list builder does it anyway."""
    arrs = []
    for name, a in (("q", q), ("k", k), ("v", v)):
        a = a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a)
        if a.ndim < 2:
            raise ValueError(f"{name} must have shape [..., N, d], got {a.shape}")
        if check_binary and not ((a == 0) | (a == 1)).all():
            raise ValueError(f"{name} must be binary (spikes 0/1)")
        arrs.append(a)
    if not (arrs[0].shape == arrs[1].shape == arrs[2].shape):
        raise ValueError(f"q, k, v shapes differ: {arrs[0].shape}, {arrs[1].shape}, {arrs[2].shape}")
    if order not in ORDERS:
        raise ValueError(f"order must be one of {list(ORDERS)}, got {order!r}")
    lead = arrs[0].shape[:-2]
    n, d = arrs[0].shape[-2:]
    return [a.reshape(-1, n, d) for a in arrs], lead


def ssa_event(q, k, v, scale: float = 0.125, order: str = "auto"):
    """Event-driven SSA. Returns ``(out [..., N, d] float32, accumulations, orders [...] int8)``."""
    (q, k, v), lead = check_qkv(q, k, v, order)
    G, n, d = q.shape
    (qp, qi), (kp, ki), (vp, vi) = (spikes_to_lists(a) for a in (q, k, v))
    out = np.zeros((G, n, d), dtype=np.int64)
    orders = np.zeros(G, dtype=np.int8)
    sops = 0
    for g in range(G):
        b = g * n
        Q = [list(qi[qp[b + t]:qp[b + t + 1]]) for t in range(n)]     # spike lists per token
        K = [list(ki[kp[b + t]:kp[b + t + 1]]) for t in range(n)]
        V = [list(vi[vp[b + t]:vp[b + t + 1]]) for t in range(n)]
        pairs0 = sum(len(K[t]) * len(V[t]) for t in range(n))
        kcol = [[t for t in range(n) if i in K[t]] for i in range(d)]   # tokens per feature
        pairs1 = sum(len(kcol[i]) for t in range(n) for i in Q[t])
        nq, nv = sum(map(len, Q)), sum(map(len, V))
        if order == "auto":
            e0, e1 = estimated_costs(pairs0, pairs1, nq, nv, n, d)
            use = 0 if e0 <= e1 else 1
        else:
            use = ORDERS[order]
        orders[g] = use
        if use == 0:
            S = {}                                          # sparse K^T V
            for t in range(n):
                for i in K[t]:
                    for j in V[t]:
                        S[(i, j)] = S.get((i, j), 0) + 1
                        sops += 1
            for m in range(n):
                for i in Q[m]:
                    for (ii, j), val in S.items():
                        if ii == i:
                            out[g, m, j] += val
                            sops += 1
        else:
            A = {}                                          # sparse Q K^T
            for m in range(n):
                for i in Q[m]:
                    for t in kcol[i]:
                        A[(m, t)] = A.get((m, t), 0) + 1
                        sops += 1
            for t in range(n):
                for j in V[t]:
                    for (m, tt), val in A.items():
                        if tt == t:
                            out[g, m, j] += val
                            sops += 1
    res = (out * scale).astype(np.float32).reshape(*lead, n, d)
    return res, sops, orders.reshape(lead)
