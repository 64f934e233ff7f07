"""Event-driven spiking self-attention on CUDA (numba-cuda): the algorithm, operation count and
order choice of :mod:`spikesim.backends.reference.ssa`, one thread block per slice (head and
time step), additions only.

Per block: thread 0 counts the stage-1 pairs of both orders, chooses the order (same estimate
as the CPU kernels), and for (Q K^T) V sorts K's spikes by feature; then the threads build the
intermediate in shared memory (Q (K^T V): tokens split over threads, ``cuda.atomic.add`` of 1
into S[i, j], exact because the sums are small integers; (Q K^T) V: each thread owns the query
rows m it builds, A^T[:, m]) and each thread adds, for its output rows, the non-zero entries of
the intermediate selected by its spikes. Limits: N <= 64 and d <= 64 (shared memory);
``ssa_event_cuda`` raises ValueError beyond that.
"""
from __future__ import annotations


import numpy as np
from numba import cuda, float32, int16, int32, int64

from spikesim.backends.reference.ssa import ORDERS, estimated_costs, k_feature_lists, slice_order
from spikesim.backends.scalar import compile_scalar

_slice_order = compile_scalar(slice_order, cuda.jit(device=True),
                              estimated_costs=compile_scalar(estimated_costs, cuda.jit(device=True)))
_k_feature_lists = compile_scalar(k_feature_lists, cuda.jit(device=True))

MAXW = 64
THREADS = 32


@cuda.jit
def _ssa_block(n, d, qp, qi, kp, ki, vp, vi, mode, out, orders, costs):
    g = cuda.blockIdx.x
    tid = cuda.threadIdx.x
    nt = cuda.blockDim.x
    M = cuda.shared.array((MAXW, MAXW), float32)
    colk = cuda.shared.array(MAXW + 1, int32)
    fill = cuda.shared.array(MAXW, int32)
    ktok = cuda.shared.array(MAXW * MAXW, int16)
    use_s = cuda.shared.array(1, int32)
    ops_s = cuda.shared.array(1, int64)
    base = g * n
    for idx in range(tid, MAXW * MAXW, nt):
        M[idx // MAXW, idx % MAXW] = 0.0
    if tid == 0:
        use, p0, p1 = _slice_order(base, n, d, qp, qi, kp, ki, vp, mode, colk)
        use_s[0] = use
        if use == 0:
            ops_s[0] = p0
        else:
            ops_s[0] = p1
            _k_feature_lists(base, n, d, kp, ki, colk, fill, ktok)
    cuda.syncthreads()
    use = use_s[0]
    my_ops = 0
    if use == 0:
        for t in range(tid, n, nt):
            for a in range(kp[base + t], kp[base + t + 1]):
                i = ki[a]
                for b in range(vp[base + t], vp[base + t + 1]):
                    cuda.atomic.add(M, (i, vi[b]), 1.0)
        cuda.syncthreads()
        for m in range(tid, n, nt):
            for a in range(qp[base + m], qp[base + m + 1]):
                i = qi[a]
                for j in range(d):
                    x = M[i, j]
                    if x != 0.0:
                        out[g, m, j] += x
                        my_ops += 1
    else:
        for m in range(tid, n, nt):
            for a in range(qp[base + m], qp[base + m + 1]):
                i = qi[a]
                for b in range(colk[i], colk[i + 1]):
                    M[ktok[b], m] += 1.0
        cuda.syncthreads()
        for m in range(tid, n, nt):
            for t in range(n):
                x = M[t, m]
                if x != 0.0:
                    for b in range(vp[base + t], vp[base + t + 1]):
                        out[g, m, vi[b]] += x
                    my_ops += vp[base + t + 1] - vp[base + t]
    cuda.atomic.add(ops_s, 0, my_ops)
    cuda.syncthreads()
    if tid == 0:
        costs[g] = ops_s[0]
        orders[g] = use


def ssa_event_cuda(q, k, v, scale: float = 0.125, order: str = "auto"):
    """Event-driven SSA on the GPU from dense binary ``q, k, v`` ``[..., N, d]`` (numpy or torch).
    Returns ``(out [..., N, d] float32, accumulations, orders [...] int8)`` like the CPU kernels."""
    from spikesim.backends.numba_cpu.ssa import spikes_to_lists
    if order not in ORDERS:
        raise ValueError(f"order must be one of {list(ORDERS)}, got {order!r}")
    arrs = [a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a) for a in (q, k, v)]
    if not (arrs[0].shape == arrs[1].shape == arrs[2].shape) or arrs[0].ndim < 2:
        raise ValueError(f"q, k, v must share a shape [..., N, d]; got {[a.shape for a in arrs]}")
    lead, (n, d) = arrs[0].shape[:-2], arrs[0].shape[-2:]
    if n > MAXW or d > MAXW:
        raise ValueError(f"the CUDA SSA kernel supports N <= {MAXW} and d <= {MAXW}; got N={n}, d={d}")
    G = int(np.prod(lead)) if lead else 1
    lists = []
    for name, a in zip("qkv", arrs):
        try:
            lists.append(spikes_to_lists(np.ascontiguousarray(a.reshape(G, n, d))))
        except ValueError:
            raise ValueError(f"{name} must be binary (spikes 0/1)") from None
    dev = [cuda.to_device(x) for pair in lists for x in pair]
    out = cuda.to_device(np.zeros((G, n, d), dtype=np.float32))
    orders = cuda.device_array(G, dtype=np.int8)
    costs = cuda.device_array(G, dtype=np.int64)
    _ssa_block[G, THREADS](n, d, *dev, ORDERS[order], out, orders, costs)
    res = out.copy_to_host() * np.float32(scale)
    return res.reshape(*lead, n, d), int(costs.copy_to_host().sum()), orders.copy_to_host().reshape(lead)
