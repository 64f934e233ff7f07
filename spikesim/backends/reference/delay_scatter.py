"""Event-driven inference of a heterogeneous-delay layer, NumPy reference (slow, obviously right).

Each input event ``(t, p, x, y)`` scatters the non-zero synapses of polarity ``p`` into a ring
buffer ``buf[(t + delay) mod n_slots, channel, x - dx, y - dy] += w`` (NEST/GeNN-style dendritic
delay buffer over (channel, x, y)). At every step ``t``, after the events of step ``t`` are
scattered, slot ``t mod n_slots`` is read, the output is ``max over sets`` of the channels plus
the class bias, and the slot is cleared. Synaptic operations = events x non-zero synapses of
their polarity (targets outside the frame included: the fast kernel performs them in a margin).

Arguments are arrays and scalars only (see :class:`spikesim.nn.delay_layer.LoweredDelayLayer`).
Returns ``(evidence (n_classes, n_t, n_x, n_y) float64, sops int)``.
"""
from __future__ import annotations

import numpy as np


def delay_scatter(et, ep, ex, ey, indptr, channel, delay, dx, dy, weight, bias, n_classes, n_sets, n_slots,
                  n_t, n_x, n_y):
    if len(et) and np.any(np.diff(et) < 0):
        raise ValueError("delay_scatter: events must be sorted by time")
    if np.any(delay < 0) or np.any(delay >= n_slots):
        raise ValueError(f"delay_scatter: delays must lie in [0, {n_slots}); got range "
                         f"[{delay.min()}, {delay.max()}]")
    buf = np.zeros((n_slots, n_sets * n_classes, n_x, n_y))
    out = np.empty((n_classes, n_t, n_x, n_y))
    sops = 0
    e = 0
    n_ev = len(et)
    for t in range(n_t):
        while e < n_ev and et[e] == t:
            p = ep[e]
            for k in range(indptr[p], indptr[p + 1]):
                x = ex[e] - dx[k]
                y = ey[e] - dy[k]
                if 0 <= x < n_x and 0 <= y < n_y:
                    buf[(t + delay[k]) % n_slots, channel[k], x, y] += weight[k]
                sops += 1           # every synapse of the event is one operation (see the numba kernel)
            e += 1
        slot = buf[t % n_slots].reshape(n_sets, n_classes, n_x, n_y)
        out[:, t] = slot.max(axis=0) + bias[:, None, None]
        buf[t % n_slots] = 0.0
    return out, sops
