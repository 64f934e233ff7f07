"""NumPy reference of the delivery of a convolutional projection (:mod:`spikesim.core.conv`):
the in-frame kernel entries of one spike and their output neurons."""
from __future__ import annotations

import numpy as np


def conv_targets(cp: ConvPlan, local: int):
    """Reference: (entry indices, output ids) in the frame for a spike of input neuron ``local``."""
    s_c, s_x, s_y, n_c, nx, ny = (int(v) for v in cp.dec)
    ch, x, y = (local // s_c) % n_c, (local // s_x) % nx, (local // s_y) % ny
    e = np.arange(cp.ent_ptr[ch], cp.ent_ptr[ch + 1])
    tx, ty = x + cp.ent_ox[e], y + cp.ent_oy[e]
    ok = (tx >= 0) & (tx < nx) & (ty >= 0) & (ty < ny)
    e = e[ok]
    return e, int(cp.out_xy[0]) * x + int(cp.out_xy[1]) * y + cp.ent_off[e]
