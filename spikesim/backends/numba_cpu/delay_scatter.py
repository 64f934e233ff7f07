"""Event-driven inference of a heterogeneous-delay layer, Numba CPU kernel.

Same algorithm and arguments as :mod:`spikesim.backends.reference.delay_scatter` (the NumPy
reference it is tested against): each event scatters its polarity's non-zero synapses into a
ring buffer ``(n_slots, channel, x, y)``; slot ``t mod n_slots`` is read (max over sets + bias)
and cleared at step ``t``. Cost: O(events x non-zero synapses) + O(T x channels x X x Y) for the
read-out. Returns ``(evidence (n_classes, n_t, n_x, n_y) float64, sops int)``.
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _scatter(et, ep, ex, ey, indptr, channel, delay, dx, dy, weight, bias, n_classes, n_sets, n_slots,
             n_t, n_x, n_y):
    buf = np.zeros((n_slots, n_sets * n_classes, n_x, n_y))
    out = np.empty((n_classes, n_t, n_x, n_y))
    sops = 0
    e = 0
    n_ev = et.shape[0]
    for t in range(n_t):
        while e < n_ev and et[e] == t:
            p = ep[e]
            x0 = ex[e]
            y0 = ey[e]
            for k in range(indptr[p], indptr[p + 1]):
                x = x0 - dx[k]
                y = y0 - dy[k]
                if x >= 0 and x < n_x and y >= 0 and y < n_y:
                    buf[(t + delay[k]) % n_slots, channel[k], x, y] += weight[k]
                    sops += 1
            e += 1
        s = t % n_slots
        for c in range(n_classes):
            for x in range(n_x):
                for y in range(n_y):
                    m = buf[s, c, x, y]
                    for k in range(1, n_sets):
                        v = buf[s, k * n_classes + c, x, y]
                        if v > m:
                            m = v
                    out[c, t, x, y] = m + bias[c]
        buf[s] = 0.0
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
    out, sops = _scatter(et, np.ascontiguousarray(ep, dtype=np.int64), np.ascontiguousarray(ex, dtype=np.int64),
                         np.ascontiguousarray(ey, dtype=np.int64), np.ascontiguousarray(indptr, dtype=np.int64),
                         np.ascontiguousarray(channel, dtype=np.int64), np.ascontiguousarray(delay, dtype=np.int64),
                         np.ascontiguousarray(dx, dtype=np.int64), np.ascontiguousarray(dy, dtype=np.int64),
                         np.ascontiguousarray(weight, dtype=np.float64), np.ascontiguousarray(bias, dtype=np.float64),
                         int(n_classes), int(n_sets), int(n_slots), int(n_t), int(n_x), int(n_y))
    return out, int(sops)
