"""NumPy reference of the readout phase (:mod:`spikesim.core.readout`) and of the window
signals (channel amplitudes, readout feedback) read at the start of a step.

Same float64 operations in the same order as the generated loops
(:mod:`spikesim.backends.numba_cpu.readout`): element-wise updates are NumPy array operations
(one rounding per operation, as in the scalar loops), sums are sequential (``np.cumsum``).
"""
from __future__ import annotations

import numpy as np

from spikesim.analysis.ordered_sums import seq_matvec
from spikesim.analysis.ordered_sums import seq_sum as _seqsum


def signals(plan, pp, step: int) -> tuple[list, list]:
    """([(amplitudes (C,), weights (C, n)) per channel current], [(signals (K,), U (K, n)) per
    feedback readout]) of population ``pp`` for ``step``."""
    chans = []
    for ch in pp.channels:
        rel = step - int(ch.control[0])
        amp = ch.amplitudes[rel] if 0 <= rel < ch.amplitudes.shape[0] else np.zeros(ch.n_channels)
        chans.append(([float(a) for a in amp], ch.weights))
    fbs = []
    for rp in plan.readouts:
        if not rp.has_feedback or pp.index not in rp.pops:
            continue
        ro = rp.ro
        rel, mode = step - int(ro.C[0]), ro.C[1]
        if mode == 1.0:
            f = ro.ZP.copy()
        elif mode == 2.0 and 0 <= rel < ro.T.shape[0]:
            f = ro.T[rel].copy()
        else:
            f = np.zeros(ro.n_out)
        off = pp.start - plan.pops[rp.pop].start
        fbs.append(([float(x) for x in f], ro.FB[:, off:off + pp.n]))
    return chans, fbs


def add_terms(current: float, i: int, chans, fbs) -> float:
    """The neuron's input current with the window-signal terms added, in the loops' order."""
    for amp, w in chans:
        for c, a in enumerate(amp):
            current = current + a * float(w[c, i])
    for f, u in fbs:
        for k, x in enumerate(f):
            current = current + float(u[k, i]) * x
    return current


def readout_step(plan, step: int, fired_by_pop: dict) -> None:
    """The readout phase of ``step`` for every readout (after the plasticity phase)."""
    for rp in plan.readouts:
        ro, pp = rp.ro, plan.pops[rp.pop]
        u = rp.U
        rel = step - int(ro.C[0])
        inwin = 0 <= rel < ro.T.shape[0]
        if rp.feature_row < 0:
            ro.F[0] = ro.F[0] * u[0] + ro.F[1] * plan.dt
            ro.F[1] = ro.F[1] * u[1]
            for q in rp.pops:
                ids = np.asarray(fired_by_pop.get(q, ()), dtype=np.int64) - pp.start
                ro.F[1, ids] = ro.F[1, ids] + u[2]
            e = ro.F[0]
        else:
            e = pp.S[rp.feature_row]
        norm2 = _seqsum(e * e)
        for k in range(ro.n_out):
            ro.ZP[k] = _seqsum(ro.W[k] * e)
            if inwin:
                ro.Z[rel, k] = ro.ZP[k]
        if inwin and rp.rule == 1:
            lr = float(u[3]) / (norm2 + float(u[4]))
            for k in range(ro.n_out):
                gk = float(ro.G[rel, k])
                if gk > 0.0:
                    a = lr * gk * (float(ro.T[rel, k]) - float(ro.ZP[k]))
                    ro.W[k] = ro.W[k] + a * e
        elif inwin and rp.rule == 2 and rel % int(u[5]) == 0:
            for k in range(ro.n_out):
                gk = float(ro.G[rel, k])
                if gk > 0.0:
                    err = gk * (float(ro.ZP[k]) - float(ro.T[rel, k]))
                    pk = seq_matvec(ro.P[k], e)
                    ro.K[:] = pk
                    rk = _seqsum(e * pk)
                    cg = 1.0 / (1.0 + rk)
                    ro.P[k] = ro.P[k] - (cg * pk)[:, None] * pk[None, :]
                    ro.W[k] = ro.W[k] - (cg * err) * pk
        if inwin and int(ro.C[2]) <= rel < int(ro.C[3]):
            ro.B[:] = ro.B + e
            ro.C[4] = ro.C[4] + 1.0
