"""CUDA delivery of convolutional projections (:mod:`spikesim.core.conv`), one launch per
convolution after :func:`~spikesim.backends.numba_cuda.kernels.deliver_kernel`.

Ordered mode (the bit-exact delivery of small networks): one block walks the step's spikes in
ascending id order (the list the delivery kernel sorted), its threads over the kernel entries
of the spike's channel; the entries of one spike hit distinct ring cells, and the block
synchronises between spikes, so every cell adds its contributions in the CPU's order (the CSR
synapses first, then each convolution's, in spike order). Atomic mode: blocks over spikes,
threads over entries, atomic adds. The in-frame entries are counted as synaptic events.

Arguments besides ``step, f64, i64``: ``km`` (int64: pre start, n pre, input id strides s_c,
s_x, s_y, C_in, X, Y, output id strides of x and y, first ring cell), the entry pointer per
input channel ``kp``, and per entry ``kox, koy, kof, kd`` (int64) and ``kw`` (float64), as
:func:`spikesim.backends.numba_cpu.conv.conv_header` and the plan's
:class:`~spikesim.core.conv.ConvPlan` give them.
"""
from __future__ import annotations

from numba import cuda

from .kernels import (F_RING, H_CNT0, H_EVENTS, H_STATUS, H_STOP, L_EXACT, L_N, L_NSLOTS, L_RINGCELLS, O_SORTED,
                      O_SPIKELIST)


@cuda.jit(device=True)
def _spike_entries(step, f64, i64, g, km, kp, kox, koy, kof, kd, kw, e0, de, atomic):
    """Deliver entries e0, e0 + de, ... of the spike of global neuron ``g``; their count."""
    loc = g - km[0]
    if loc < 0 or loc >= km[1]:
        return 0
    ch = (loc // km[2]) % km[5]
    x = (loc // km[3]) % km[6]
    y = (loc // km[4]) % km[7]
    base = km[10] + km[8] * x + km[9] * y
    n_slots = i64[L_NSLOTS]
    now = step % n_slots
    ring0 = i64[F_RING]
    cells = i64[L_RINGCELLS]
    n = 0
    for e in range(kp[ch] + e0, kp[ch + 1], de):
        tx = x + kox[e]
        ty = y + koy[e]
        if tx < 0 or tx >= km[6] or ty < 0 or ty >= km[7]:
            continue
        slot = now + kd[e]
        if slot >= n_slots:
            slot -= n_slots
        idx = ring0 + slot * cells + base + kof[e]
        if atomic:
            cuda.atomic.add(f64, idx, kw[e])
        else:
            f64[idx] = f64[idx] + kw[e]
        n += 1
    return n


@cuda.jit
def conv_kernel(step, f64, i64, km, kp, kox, koy, kof, kd, kw):
    """Add this step's spikes of the convolution's input population to the rings."""
    if i64[H_STATUS] != 0 and step >= i64[H_STOP]:
        return
    par = step % 2
    n_spk = i64[H_CNT0 + par]
    tid = cuda.threadIdx.x
    bdim = cuda.blockDim.x
    n = 0
    if i64[L_EXACT] != 0:
        if cuda.blockIdx.x != 0:
            return
        o_sorted = i64[O_SORTED]
        for k in range(n_spk):
            n += _spike_entries(step, f64, i64, i64[o_sorted + k], km, kp, kox, koy, kof, kd, kw, tid, bdim, False)
            cuda.syncthreads()
    else:
        o_list = i64[O_SPIKELIST] + par * i64[L_N]
        for k in range(cuda.blockIdx.x, n_spk, cuda.gridDim.x):
            n += _spike_entries(step, f64, i64, i64[o_list + k], km, kp, kox, koy, kof, kd, kw, tid, bdim, True)
    if n > 0:
        cuda.atomic.add(i64, H_EVENTS, n)


def conv_device_arrays(plan):
    """Per convolution of ``plan`` the device arrays of :func:`conv_kernel` (after ``step, f64, i64``)."""
    import numpy as np
    from spikesim.backends.numba_cpu.conv import conv_header
    out = []
    for cp in plan.convs:
        ints = (conv_header(cp), cp.ent_ptr, cp.ent_ox, cp.ent_oy, cp.ent_off, cp.ent_delay)
        out.append(tuple(cuda.to_device(np.ascontiguousarray(a, dtype=np.int64)) for a in ints)
                   + (cuda.to_device(np.ascontiguousarray(cp.ent_w, dtype=np.float64)),))
    return out
