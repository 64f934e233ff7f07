"""NumPy reference of the attention phase (:mod:`spikesim.core.attention`): slow, obviously right.

Per attention and step: the step's spikes of Q, K, V as lists per (head, token); per head the
pair counts of both association orders and the order (:func:`slice_order` with the estimates of
:func:`estimated_costs`, the functions the compiled kernels compile too); Q K^T V with a sparse
intermediate held in a dict (the equations and the operation counts are in
:mod:`spikesim.core.attention`); each non-zero value times the scale added to the ring slot
``step + delay`` of the target's one-step current, every entry (zeros too), in ascending
(head, token, feature) order.
"""
from __future__ import annotations

import math

import numpy as np

#: association orders (``mode`` of the kernels; -1: chosen per head and step)
ORDERS = {"auto": -1, "q_ktv": 0, "qkt_v": 1}
#: layout of an attention's integer parameters (``Attention.I``): first neuron of Q, K, V, tokens,
#: dim, heads, mode, delay (steps), first ring cell of the target's one-step current
I_Q0, I_K0, I_V0, I_N, I_D, I_H, I_MODE, I_DELAY, I_CELL0 = range(9)


def estimated_costs(pairs0: float, pairs1: float, nq: float, nv: float, n: int, d: int) -> tuple[float, float]:
    """The auto-order estimates ``(est0, est1)`` (see :mod:`spikesim.core.attention`)."""
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


def head_lists(fired: np.ndarray, start: int, n: int, dim: int, heads: int):
    """The spikes of population [start, start + n * dim) among ``fired`` as CSR lists over
    (head, token): ``(indptr [heads * n + 1], features local to the head, int32)``."""
    d = dim // heads
    g = fired[(fired >= start) & (fired < start + n * dim)] - start
    t, j = g // dim, g % dim
    row = (j // d) * n + t
    order = np.lexsort((j, row))
    indptr = np.zeros(heads * n + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=heads * n), out=indptr[1:])
    return indptr, (j[order] % d).astype(np.int32)


def slice_product(g, n, d, q, k, v, mode):
    """Q K^T V of head ``g`` from the lists ``q, k, v`` (each ``(indptr, features)``) with a
    sparse intermediate: ``(dict (m, j) -> integer value, order used, accumulations)``."""
    b = g * n
    Q, K, V = ([list(x[1][x[0][b + t]:x[0][b + t + 1]]) for t in range(n)] for x in (q, k, v))
    colk = np.zeros(d + 1, dtype=np.int64)
    use, _, _ = slice_order(b, n, d, q[0], q[1], k[0], k[1], v[0], mode, colk)
    out, ops = {}, 0
    if use == 0:
        S = {}                                              # sparse K^T V
        for t in range(n):
            for i in K[t]:
                for j in V[t]:
                    S[(i, j)] = S.get((i, j), 0) + 1
                    ops += 1
        for m in range(n):
            for i in Q[m]:
                for (ii, j), val in S.items():
                    if ii == i:
                        out[(m, j)] = out.get((m, j), 0) + val
                        ops += 1
    else:
        kcol = [[t for t in range(n) if i in K[t]] for i in range(d)]   # tokens per feature
        A = {}                                              # sparse Q K^T
        for m in range(n):
            for i in Q[m]:
                for t in kcol[i]:
                    A[(m, t)] = A.get((m, t), 0) + 1
                    ops += 1
        for t in range(n):
            for j in V[t]:
                for (m, tt), val in A.items():
                    if tt == t:
                        out[(m, j)] = out.get((m, j), 0) + val
                        ops += 1
    return out, use, ops


def attention_step(plan, step: int, fired: np.ndarray) -> None:
    """The attention phase of ``step`` for every attention of the plan, in order."""
    for at in plan.attentions:
        I = at.I
        n, dim, heads = int(I[I_N]), int(I[I_D]), int(I[I_H])
        d = dim // heads
        q, k, v = (head_lists(fired, int(I[x]), n, dim, heads) for x in (I_Q0, I_K0, I_V0))
        base = ((step + int(I[I_DELAY])) % plan.n_slots) * plan.ring_cells + int(I[I_CELL0])
        scale = float(at.F[0])
        for g in range(heads):
            out, use, ops = slice_product(g, n, d, q, k, v, int(I[I_MODE]))
            at.ops[0] += ops
            at.ops[1 + use] += 1
            for m in range(n):                          # every entry (zeros too, as the compiled loops)
                for j in range(d):
                    c = base + m * dim + g * d + j    # added in float64, then stored in the ring's dtype
                    plan.ring[c] = float(plan.ring[c]) + float(out.get((m, j), 0)) * scale
