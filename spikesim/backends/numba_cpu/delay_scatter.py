"""Event-driven inference of a heterogeneous-delay layer, Numba CPU kernel.

Same algorithm, arguments and results as :mod:`spikesim.backends.reference.delay_scatter` (the
NumPy reference it is tested against): each event scatters its polarity's non-zero synapses
into a ring buffer over (slot, x, y, channel); slot ``t mod n_slots`` is read (max over sets +
bias) and cleared at step ``t``. The buffer carries a spatial margin of the kernel's half-width,
so the inner loop is one add at ``base(event) + offset(synapse)`` with no bounds test; additions
that land in the margin are counted as operations (they are performed) and never read.
Cost: O(events x non-zero synapses) + O(T x channels x X x Y) for the read-out.
Accumulates in float32, as the dense torch pass does.
Returns ``(evidence (n_classes, n_t, n_x, n_y) float32, sops int)``.
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _scatter(et, ep, ex, ey, gptr, flat_off, weight, bias, n_classes, n_sets, n_slots, n_t, n_x, n_y, hx, hy):
    # buffer layout (slot, x, y, channel). Synapses are grouped by (polarity, delay):
    # gptr[p * n_slots + d] .. gptr[p * n_slots + d + 1]; within a group, sorted by offset
    px = n_x + 2 * hx
    py = n_y + 2 * hy
    n_ch = n_sets * n_classes
    slot_size = px * py * n_ch
    buf = np.zeros(n_slots * slot_size, dtype=np.float32)
    out = np.empty((n_t, n_x, n_y, n_classes), dtype=np.float32)  # written in loop order
    slot_base = np.empty(n_slots, dtype=np.int64)
    sops = 0
    e = 0
    n_ev = et.shape[0]
    for t in range(n_t):
        for d in range(n_slots):
            slot_base[d] = ((t + d) % n_slots) * slot_size
        while e < n_ev and et[e] == t:
            p = ep[e]
            base = ((ex[e] + hx) * py + (ey[e] + hy)) * n_ch
            g0 = p * n_slots
            for d in range(n_slots):
                b = slot_base[d] + base
                for k in range(gptr[g0 + d], gptr[g0 + d + 1]):
                    buf[b + flat_off[k]] += weight[k]
            sops += gptr[g0 + n_slots] - gptr[g0]
            e += 1
        s0 = slot_base[0]
        for x in range(n_x):
            for y in range(n_y):
                cell = s0 + ((x + hx) * py + (y + hy)) * n_ch
                for c in range(n_classes):
                    m = buf[cell + c]
                    for k in range(1, n_sets):
                        v = buf[cell + k * n_classes + c]
                        if v > m:
                            m = v
                    out[t, x, y, c] = m + bias[c]
        buf[s0:s0 + slot_size] = 0.0
    return out, sops


def delay_scatter(et, ep, ex, ey, indptr, channel, delay, dx, dy, weight, bias, n_classes, n_sets, n_slots,
                  n_t, n_x, n_y):
    """Validate, then run the compiled kernel (see the module docstring)."""
    et = np.ascontiguousarray(et, dtype=np.int64)
    if et.size and np.any(np.diff(et) < 0):
        raise ValueError("delay_scatter: events must be sorted by time")
    if delay.size and (delay.min() < 0 or delay.max() >= n_slots):
        raise ValueError(f"delay_scatter: delays must lie in [0, {n_slots}); got range "
                         f"[{delay.min()}, {delay.max()}]")
    if bias.shape != (n_classes,):
        raise ValueError(f"delay_scatter: bias must have shape ({n_classes},); got {bias.shape}")
    dx = np.asarray(dx, dtype=np.int64)
    dy = np.asarray(dy, dtype=np.int64)
    hx = int(np.abs(dx).max()) if dx.size else 0
    hy = int(np.abs(dy).max()) if dy.size else 0
    py = n_y + 2 * hy
    n_ch = int(n_sets) * int(n_classes)
    delay = np.asarray(delay, dtype=np.int64)
    flat_off = (-dx * py - dy) * n_ch + np.asarray(channel, dtype=np.int64)
    weight = np.asarray(weight, dtype=np.float32)
    indptr = np.asarray(indptr, dtype=np.int64)
    # group synapses by (polarity, delay), ordered by offset within a group (locality)
    n_pol = len(indptr) - 1
    pol = np.repeat(np.arange(n_pol), np.diff(indptr))
    order = np.lexsort((flat_off, delay, pol))
    gptr = np.zeros(n_pol * n_slots + 1, dtype=np.int64)
    np.add.at(gptr, pol * n_slots + delay + 1, 1)
    gptr = np.cumsum(gptr)
    out, sops = _scatter(et, np.ascontiguousarray(ep, dtype=np.int64), np.ascontiguousarray(ex, dtype=np.int64),
                         np.ascontiguousarray(ey, dtype=np.int64), gptr, np.ascontiguousarray(flat_off[order]),
                         np.ascontiguousarray(weight[order]), np.ascontiguousarray(bias, dtype=np.float32),
                         int(n_classes), int(n_sets), int(n_slots), int(n_t), int(n_x), int(n_y), hx, hy)
    return out.transpose(3, 0, 1, 2), int(sops)  # (C, T, X, Y) view
