"""The attention phase (:mod:`spikesim.core.attention`) on CUDA (numba-cuda): the lists, order
choice, accumulations and delivery of :mod:`spikesim.backends.reference.attention`, launched
after the delivery kernel of the step (the CPU's order: the synaptic spikes, then attention).

Per attention, two kernels: :func:`mark_kernel` (threads over the step's spikes) marks Q, K, V
in a dense 0/1 scratch ``X [3, N dim]``; :func:`attention_kernel` runs one thread block per head:
thread 0 builds the head's token-major spike lists from ``X`` (clearing it), counts the stage-1
pairs of both orders and chooses the order (the CPU's :func:`slice_order`), and for (Q K^T) V
sorts K's spikes by feature; then the threads build the intermediate in shared memory
(Q (K^T V): tokens split over threads, ``cuda.atomic.add`` of 1 into S[i, j], exact because the
sums are small integers; (Q K^T) V: each thread owns the query rows m it builds, A^T[:, m]),
each thread adds, for its output rows, the non-zeros selected by its spikes, and adds its rows
of Y * scale to the target's ring cells (every entry, zeros too, as the CPU; one addition per
cell, so the order of the threads does not matter).
Limits: N <= 64 tokens and d <= 64 features per head (shared memory); :func:`check_attention`
raises ValueError beyond that when the runner is made.
"""
from __future__ import annotations

import numpy as np
from numba import cuda, float32, int16, int32, int64

from spikesim.backends.numba_cuda.kernels import F_RING, H_CNT0, H_STATUS, H_STOP, L_N, L_NSLOTS, L_RINGCELLS, O_SPIKELIST
from spikesim.backends.reference.attention import (I_CELL0, I_D, I_DELAY, I_H, I_MODE, I_N, estimated_costs,
                                                   k_feature_lists, slice_order)
from spikesim.backends.scalar import compile_scalar

_dev = cuda.jit(device=True)
_slice_order = compile_scalar(slice_order, _dev, estimated_costs=compile_scalar(estimated_costs, _dev))
_k_feature_lists = compile_scalar(k_feature_lists, _dev)

MAXW = 64
THREADS = 32


def check_attention(at) -> None:
    if at.tokens > MAXW or at.d > MAXW:
        raise ValueError(f"the cuda backend's attention supports tokens <= {MAXW} and dim / heads <= {MAXW}; got "
                         f"tokens={at.tokens}, dim / heads={at.d} ({at!r})")


@cuda.jit
def mark_kernel(step, f64, i64, X, AI):
    """X[x, neuron] = 1 for this step's spikes of Q (x = 0), K (1), V (2)."""
    if i64[H_STATUS] != 0 and step >= i64[H_STOP]:
        return
    par = step % 2
    n_spk = i64[H_CNT0 + par]
    o_list = i64[O_SPIKELIST] + par * i64[L_N]
    size = AI[I_N] * AI[I_D]
    for k in range(cuda.grid(1), n_spk, cuda.gridsize(1)):
        gg = i64[o_list + k]
        for x in range(3):
            r = gg - AI[x]
            if r >= 0 and r < size:
                X[x, r] = 1


@cuda.jit(device=True)
def _head_lists(X, x, g, n, dim, d, lp, li):
    """Token-major lists of head g's spikes in X[x] (cleared): indptr lp[x, g], features li[x, g]."""
    c = 0
    for t in range(n):
        lp[x, g, t] = c
        for j in range(d):
            r = t * dim + g * d + j
            if X[x, r] != 0:
                li[x, g, c] = j
                c += 1
                X[x, r] = 0
    lp[x, g, n] = c


@cuda.jit
def attention_kernel(step, f64, i64, X, AI, AF, ops, lp, li, out):
    """Head cuda.blockIdx.x of one attention at ``step`` (see the module docstring)."""
    if i64[H_STATUS] != 0 and step >= i64[H_STOP]:
        return
    g = cuda.blockIdx.x
    tid = cuda.threadIdx.x
    nt = cuda.blockDim.x
    n, dim = AI[I_N], AI[I_D]
    d = dim // AI[I_H]
    M = cuda.shared.array((MAXW, MAXW), float32)
    colk = cuda.shared.array(MAXW + 1, int32)
    fill = cuda.shared.array(MAXW, int32)
    ktok = cuda.shared.array(MAXW * MAXW, int16)
    use_s = cuda.shared.array(1, int32)
    ops_s = cuda.shared.array(1, int64)
    for idx in range(tid, MAXW * MAXW, nt):
        M[idx // MAXW, idx % MAXW] = 0.0
    if tid == 0:
        for x in range(3):
            _head_lists(X, x, g, n, dim, d, lp, li)
        use, p0, p1 = _slice_order(0, n, d, lp[0, g], li[0, g], lp[1, g], li[1, g], lp[2, g], AI[I_MODE], colk)
        use_s[0] = use
        if use == 0:
            ops_s[0] = p0
        else:
            ops_s[0] = p1
            _k_feature_lists(0, n, d, lp[1, g], li[1, g], colk, fill, ktok)
    cuda.syncthreads()
    qp, qi, kp, ki, vp, vi = lp[0, g], li[0, g], lp[1, g], li[1, g], lp[2, g], li[2, g]
    use = use_s[0]
    my_ops = 0
    if use == 0:
        for t in range(tid, n, nt):
            for a in range(kp[t], kp[t + 1]):
                i = ki[a]
                for b in range(vp[t], vp[t + 1]):
                    cuda.atomic.add(M, (i, vi[b]), 1.0)
        cuda.syncthreads()
        for m in range(tid, n, nt):
            for a in range(qp[m], qp[m + 1]):
                i = qi[a]
                for j in range(d):
                    x = M[i, j]
                    if x != 0.0:
                        out[g, m, j] += x
                        my_ops += 1
    else:
        for m in range(tid, n, nt):
            for a in range(qp[m], qp[m + 1]):
                i = qi[a]
                for b in range(colk[i], colk[i + 1]):
                    M[ktok[b], m] += 1.0
        cuda.syncthreads()
        for m in range(tid, n, nt):
            for t in range(n):
                x = M[t, m]
                if x != 0.0:
                    for b in range(vp[t], vp[t + 1]):
                        out[g, m, vi[b]] += x
                    my_ops += vp[t + 1] - vp[t]
    cuda.atomic.add(ops_s, 0, my_ops)
    # delivery of this thread's rows (rows were built by the same thread in both orders)
    n_slots = i64[L_NSLOTS]
    pt = step % n_slots + AI[I_DELAY]
    if pt >= n_slots:
        pt -= n_slots
    base = i64[F_RING] + pt * i64[L_RINGCELLS] + AI[I_CELL0]
    scale = AF[0]
    for m in range(tid, n, nt):
        row = base + m * dim + g * d
        for j in range(d):                        # every entry, zeros too (as the CPU loops)
            f64[row + j] += out[g, m, j] * scale
            out[g, m, j] = 0.0
    cuda.syncthreads()
    if tid == 0:
        cuda.atomic.add(ops, 0, ops_s[0])
        cuda.atomic.add(ops, 1 + use, 1)


class DeviceAttention:
    """One attention's device arrays and its two launches."""

    def __init__(self, at):
        check_attention(at)
        self.at = at
        n, dim, h, d = at.tokens, at.dim, at.heads, at.d
        self.X = cuda.to_device(np.zeros((3, n * dim), dtype=np.int8))
        self.I = cuda.to_device(at.I)
        self.F = cuda.to_device(at.F)
        self.ops = cuda.to_device(at.ops)
        self.lp = cuda.to_device(np.zeros((3, h, n + 1), dtype=np.int64))
        self.li = cuda.to_device(np.zeros((3, h, n * d), dtype=np.int32))
        self.out = cuda.to_device(np.zeros((h, n, d)))

    def launchers(self, make_launcher, f64, i64, n_total, block):
        grid = max(1, min(1024, -(-n_total // block)))
        return [make_launcher(mark_kernel, grid, block, (f64, i64, self.X, self.I)),
                make_launcher(attention_kernel, self.at.heads, THREADS,
                              (f64, i64, self.X, self.I, self.F, self.ops, self.lp, self.li, self.out))]

    def sync_to_host(self):
        self.at.ops[:] = self.ops.copy_to_host()
