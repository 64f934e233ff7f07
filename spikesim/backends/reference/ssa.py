"""Event-driven spiking self-attention, NumPy reference (slow, obviously right).

Computes Y = Q K^T V * scale per slice g from the spike lists of binary Q, K, V ([G, N, d]),
with additions only, in one of two association orders (Zhou et al., Spikformer, ICLR 2023,
Eq. 15 and section 3.3):

* order 0, Q (K^T V): S[i, j] += 1 for every pair of spikes K[n, i], V[n, j] of the same token;
  then out[m, :] += S[i, :] for every spike Q[m, i].
  Cost: sum_n |K_n| |V_n| + |Q| d accumulations.
* order 1, (Q K^T) V: A[m, n] += 1 for every pair of spikes Q[m, i], K[n, i] of the same
  feature; then out[:, j] += A[:, n] for every spike V[n, j].
  Cost: sum_i |Q_:i| |K_:i| + |V| N accumulations.

``order="auto"`` picks the cheaper per slice (ties -> order 0). The final multiplication by the
scale (a power of two, 0.125, i.e. a shift, or folded into the threshold of the attention
neuron) is not an accumulation and is not counted.
"""
from __future__ import annotations

import numpy as np

ORDERS = {"auto": -1, "q_ktv": 0, "qkt_v": 1}


def spikes_to_lists(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Token-major spike lists of a binary array [G, N, d]: CSR ``(indptr [G*N+1], features)``."""
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"spike array must be [G, N, d], got shape {x.shape}")
    rows = x.reshape(-1, x.shape[-1]) != 0
    counts = rows.sum(1)
    indptr = np.zeros(rows.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, np.nonzero(rows)[1].astype(np.int32)


def check_qkv(q, k, v, order: str):
    """Validate and reshape q, k, v ([..., N, d] binary) to [G, N, d]; return arrays and lead shape."""
    arrs = []
    for name, a in (("q", q), ("k", k), ("v", v)):
        a = a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a)
        if a.ndim < 2:
            raise ValueError(f"{name} must have shape [..., N, d], got {a.shape}")
        if not np.isin(a, (0, 1)).all():
            raise ValueError(f"{name} must be binary (spikes 0/1)")
        arrs.append(a)
    if not (arrs[0].shape == arrs[1].shape == arrs[2].shape):
        raise ValueError(f"q, k, v shapes differ: {arrs[0].shape}, {arrs[1].shape}, {arrs[2].shape}")
    if order not in ORDERS:
        raise ValueError(f"order must be one of {list(ORDERS)}, got {order!r}")
    lead = arrs[0].shape[:-2]
    n, d = arrs[0].shape[-2:]
    return [a.reshape(-1, n, d) for a in arrs], lead


def slice_costs(qp, kp, vp, qi, ki, g, n, d):
    """(cost order 0, cost order 1) of slice g from the spike lists."""
    base = g * n
    kc = np.diff(kp[base:base + n + 1])
    vc = np.diff(vp[base:base + n + 1])
    nq = qp[base + n] - qp[base]
    nv = vp[base + n] - vp[base]
    colq = np.bincount(qi[qp[base]:qp[base + n]], minlength=d)
    colk = np.bincount(ki[kp[base]:kp[base + n]], minlength=d)
    return int((kc * vc).sum() + nq * d), int((colq * colk).sum() + nv * n)


def ssa_event(q, k, v, scale: float = 0.125, order: str = "auto"):
    """Event-driven SSA. Returns ``(out [..., N, d] float32, sops, orders [...] int8)``."""
    (q, k, v), lead = check_qkv(q, k, v, order)
    G, n, d = q.shape
    qp, qi = spikes_to_lists(q)
    kp, ki = spikes_to_lists(k)
    vp, vi = spikes_to_lists(v)
    out = np.zeros((G, n, d), dtype=np.int64)
    orders = np.zeros(G, dtype=np.int8)
    sops = 0
    for g in range(G):
        c0, c1 = slice_costs(qp, kp, vp, qi, ki, g, n, d)
        use = ORDERS[order] if order != "auto" else (0 if c0 <= c1 else 1)
        orders[g] = use
        base = g * n
        if use == 0:
            S = np.zeros((d, d), dtype=np.int64)
            for t in range(n):
                for a in range(kp[base + t], kp[base + t + 1]):
                    for b in range(vp[base + t], vp[base + t + 1]):
                        S[ki[a], vi[b]] += 1
                        sops += 1
            for m in range(n):
                for a in range(qp[base + m], qp[base + m + 1]):
                    out[g, m, :] += S[qi[a], :]
                    sops += d
        else:
            A = np.zeros((n, n), dtype=np.int64)
            for m in range(n):
                for a in range(qp[base + m], qp[base + m + 1]):
                    for t in range(n):
                        for b in range(kp[base + t], kp[base + t + 1]):
                            if ki[b] == qi[a]:
                                A[m, t] += 1
                                sops += 1
            for t in range(n):
                for b in range(vp[base + t], vp[base + t + 1]):
                    out[g, :, vi[b]] += A[:, t]
                    sops += n
    res = (out * scale).astype(np.float32).reshape(*lead, n, d)
    return res, sops, orders.reshape(lead)
