"""The delivery of convolutional projections (:mod:`spikesim.core.conv`) in the generated loop.

Before the loop over parts the step's spikes of each convolution's input population are
listed (channel, position, first target cell). Inside the loop over parts, after the part's CSR
segments, every part walks the delays, and for each the listed spikes in order and their kernel
entries of that delay; an entry whose target lies in the frame and in the part's ring cells adds
its weight to the ring slot of its delay. So each ring cell receives its CSR contributions, then
its convolution contributions in spike order, whatever the number of parts: bit-identical to
the NumPy reference (:mod:`spikesim.backends.reference.conv`) and to the same synapses stored
explicitly.

The work is done by the compiled functions of this module (:func:`list_spikes`,
:func:`push`, :func:`store_history`, :func:`pull`), compiled once, not once per convolution.

Every convolution's arrays are packed into one array per kind (:func:`conv_arrays`): ``KM``
(a row per convolution, :func:`conv_header`), ``KPM`` (its arrival-order row and flag), the
offsets table ``KO`` and the concatenated parts (:data:`PACKED`: the entries ``KOX``, ``KOY``,
``KOF`` and its unsigned copy ``KOFU``, ``KW``, the distinct delays ``KDL``, the first entry of each
(channel, delay) ``KGS``, the scratch list of the step's input spikes ``KS``, ...); ``KB`` is the
parts' ring-cell bounds and ``KEV`` the parts' event counts. So the generated loop has the same
two calls (:func:`conv_spikes`, :func:`conv_deliver`) and arguments whatever the number of
convolutions, and compiles in the same time for a deep network as for one convolution.

A convolution alone on its ring cells (no CSR synapse, other convolution or attention writes
them) is instead delivered in arrival order (:class:`spikesim.core.conv.ConvPull`): before the
loop over parts its input spikes are stored in a history slot (``KHR``/``KHB``/``KHY``, events
counted then, ``KIE``), and inside it the contributions due at the next step are gathered
(``KPM``, ``KPG`` and the entries ``KPC``, ``KPX``, ``KPY``, ``KPO``, ``KPW`` in that order);
same additions in the same order per cell, so the same bits.
"""
from __future__ import annotations

import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True)


@numba.njit(cache=True, inline="always")
def _decode(g, KM):
    """(local id, channel, x, y) of global neuron ``g`` in a convolution's input population
    (``KM``: its start, size and id strides); local id -1 when ``g`` is not in it."""
    kg = g - KM[0]
    if kg < 0 or kg >= KM[1]:
        return -1, 0, 0, 0
    return kg, (kg // KM[2]) % KM[5], (kg // KM[3]) % KM[6], (kg // KM[4]) % KM[7]


@_jit
def list_spikes(KM, KS, spike_list, n_spk):
    """The step's spikes of a (push) convolution's input population: channel, first target cell,
    position, whether every entry lands inside the frame and whether every y offset does
    (``KS``); returns their number."""
    nx, ny, oxs, oys, cell0, rx, ry = KM[6], KM[7], KM[8], KM[9], KM[10], KM[11], KM[12]
    kns = 0
    for pk in range(n_spk):
        kg, kc, kx, ky = _decode(spike_list[pk], KM)
        if kg < 0:
            continue
        KS[0, kns] = kc
        KS[1, kns] = cell0 + oxs * kx + oys * ky
        KS[2, kns] = kx
        KS[3, kns] = ky
        kiy = ky >= ry and ky < ny - ry
        KS[4, kns] = 1 if (kiy and kx >= rx and kx < nx - rx) else 0
        KS[5, kns] = 1 if kiy else 0
        kns += 1
    return kns


@_jit
def push(KM, KOX, KOY, KOF, KOFU, KW, KDL, KGS, KS, kns, ring, slot, n_slots, ring_cells, clo, chi, check):
    """Deliver the listed spikes (push order): delay by delay (one ring slot at a time, so the
    working set is one slot, as for explicit synapses sorted by delay), spike by spike, the
    spike's entries of that delay. A spike whose every entry lands inside the frame (and, with
    ``check``, inside the part's cells ``[clo, chi)``) takes the plain loop ``ring[slot base +
    offset] += w``; for the others the entries inside the frame in x are one run (entries are
    sorted by x offset, found by bisection), checked in y only when the spike is near the top or
    bottom border. Each (slot, cell) gets at most one entry per spike and delay, in spike order:
    the order of the reference. Returns the synaptic events."""
    nx, ny, offlo, offhi = KM[6], KM[7], KM[13], KM[14]
    knd = KDL.size
    kn = 0
    for kj in range(knd):
        kt = slot + KDL[kj]
        if kt >= n_slots:
            kt -= n_slots
        ksl = kt * ring_cells
        for kq in range(kns):
            kgi = KS[0, kq] * knd + kj
            ke0 = KGS[kgi]
            ke1 = KGS[kgi + 1]
            kbase = KS[1, kq]
            ksb = np.uint64(ksl + kbase)
            if KS[4, kq] != 0 and (not check or (kbase + offlo >= clo and kbase + offhi < chi)):
                for ke in range(np.uint64(ke0), np.uint64(ke1)):
                    ring[ksb + KOFU[ke]] += KW[ke]
                kn += ke1 - ke0
                continue
            kx = KS[2, kq]
            ky = KS[3, kq]
            ka = ke0                              # the entries are sorted by ox: those with
            kb = ke1                              # 0 <= kx + ox < X are one run [ka, kz)
            while ka < kb:
                km_ = (ka + kb) >> 1
                if KOX[km_] < -kx:
                    ka = km_ + 1
                else:
                    kb = km_
            kb = ke1
            kz = ka
            while kz < kb:
                km_ = (kz + kb) >> 1
                if KOX[km_] < nx - kx:
                    kz = km_ + 1
                else:
                    kb = km_
            if not check and KS[5, kq] != 0:
                for ke in range(np.uint64(ka), np.uint64(kz)):
                    ring[ksb + KOFU[ke]] += KW[ke]
                kn += kz - ka
                continue
            for ke in range(ka, kz):
                kty = ky + KOY[ke]
                if kty < 0 or kty >= ny:
                    continue
                if check:
                    kc = kbase + KOF[ke]
                    if kc < clo or kc >= chi:
                        continue
                ring[ksb + KOFU[ke]] += KW[ke]
                kn += 1
    return kn


@_jit
def store_history(KM, KPM, KIE, KHR, KHB, KHY, KHF, spike_list, n_spk, slot):
    """Store this step's input spikes of a pull convolution in its history slot ``slot``
    (:class:`spikesim.core.conv.ConvPull`): bucket counts per (y band, input channel, x), their
    starts, then the spikes in id order into their buckets. Band 0 holds the spikes with
    ``ry <= y < Y - ry`` (every entry's target is inside the frame in y), band 1 those with
    ``y < ry``, band 2 the others (``ry``: the largest |y offset|). Returns their synaptic events."""
    nc, nx, ny, oxs, oys = KM[5], KM[6], KM[7], KM[8], KM[9]
    khr = KHR[slot]
    khr[:] = 0
    kev = 0
    kcx = nc * nx
    kry = KPM[3]
    for pk in range(n_spk):
        kg, kc, kx, ky = _decode(spike_list[pk], KM)
        if kg < 0:
            continue
        band = 0 if ky >= kry and ky < ny - kry else (1 if ky < kry else 2)
        khr[band * kcx + kc * nx + kx + 1] += 1
        kev += KIE[kg]
    for kb_ in range(khr.size - 1):
        khr[kb_ + 1] += khr[kb_]
        KHF[kb_] = khr[kb_]
    khb = KHB[slot]
    khy = KHY[slot]
    for pk in range(n_spk):                      # the same spikes again, into their buckets
        kg, kc, kx, ky = _decode(spike_list[pk], KM)
        if kg < 0:
            continue
        band = 0 if ky >= kry and ky < ny - kry else (1 if ky < kry else 2)
        kb_ = band * kcx + kc * nx + kx
        kq = KHF[kb_]
        KHF[kb_] = kq + 1
        khb[kq] = oxs * kx + oys * ky
        khy[kq] = ky
    return kev


@numba.njit(cache=True, inline="always")
def _band(ring, kb, khb, khy, q0, q1, kw, koy, kuy, inside):
    """Add ``kw`` at ``kb + khb[q]`` for the kept spikes ``q0 <= q < q1`` of a y band; checked in
    y unless ``inside`` (the band's targets are all in the frame)."""
    if inside:
        for kq in range(np.uint64(q0), np.uint64(q1)):
            ring[kb + np.uint64(khb[kq])] += kw
    else:
        for kq in range(np.uint64(q0), np.uint64(q1)):
            if np.uint64(khy[kq] + koy) < kuy:
                ring[kb + np.uint64(khb[kq])] += kw


@_jit
def pull(KM, KPM, KDL, KHR, KHB, KHY, KPG, KPC, KPX, KPY, KPO, KPW, ring, slot, n_slots, ring_cells, clo, chi,
         check):
    """The arrival-order delivery of a pull convolution into slot ``slot + 1``
    (:class:`spikesim.core.conv.ConvPull`): output channel by channel, delays from the longest,
    the (channel, delay)'s entries in key order, each over the spikes of its input channel kept
    for that emission step whose target is in the frame in x (a run of buckets per y band).
    Within one entry every spike has its own target cell, so the bands may come in any order.
    Band 0 needs no check in y; band 1 (small y) none when the entry's y offset is >= 0, band 2
    none when it is <= 0 (given 2 ry <= Y, ``KPM[4]``). With ``check`` (ring parts), a channel's
    cells outside ``[clo, chi)`` are skipped, checked per addition only for a channel that
    straddles the bounds."""
    nc, nx, ny, cell0 = KM[5], KM[6], KM[7], KM[10]
    knd = KDL.size
    kT = slot + 1
    if kT >= n_slots:
        kT -= n_slots
    kTb = kT * ring_cells + cell0
    kuy = np.uint64(ny)
    kcx = nc * nx
    ksafe = KPM[4] != 0
    for kc in range(KPM[0]):
        kall = True
        if check:
            kclo = cell0 + KPM[1] * kc
            kchi = kclo + KPM[2]
            if kchi < clo or kclo >= chi:
                continue
            kall = kclo >= clo and kchi < chi
        for kj in range(knd - 1, -1, -1):
            kh = kT - KDL[kj]
            if kh < 0:
                kh += n_slots
            if KHR[kh, 3 * kcx] == 0:
                continue
            khr = KHR[kh]
            khb = KHB[kh]
            khy = KHY[kh]
            kgi = kc * knd + kj
            for ke in range(KPG[kgi], KPG[kgi + 1]):
                kox = KPX[ke]
                koy = KPY[ke]
                kx0 = KPC[ke] * nx + (-kox if kox < 0 else 0)
                kx1 = KPC[ke] * nx + (nx - kox if kox > 0 else nx)
                kw = KPW[ke]
                kb = np.uint64(kTb + KPO[ke])
                if not kall:
                    kcb = cell0 + KPO[ke]
                    for kband in range(3):
                        for kq in range(khr[kband * kcx + kx0], khr[kband * kcx + kx1]):
                            kcell = kcb + khb[kq]
                            if np.uint64(khy[kq] + koy) < kuy and kcell >= clo and kcell < chi:
                                ring[kb + np.uint64(khb[kq])] += kw
                    continue
                for kq in range(np.uint64(khr[kx0]), np.uint64(khr[kx1])):
                    ring[kb + np.uint64(khb[kq])] += kw
                _band(ring, kb, khb, khy, khr[kcx + kx0], khr[kcx + kx1], kw, koy, kuy, ksafe and koy >= 0)
                _band(ring, kb, khb, khy, khr[2 * kcx + kx0], khr[2 * kcx + kx1], kw, koy, kuy, ksafe and koy <= 0)



# ---------------------------------------------------------------- every convolution, packed
#: rows of the offsets table ``KO`` (n_fields, n_conv + 1): convolution k's part of a packed
#: array is ``A[KO[f, k]:KO[f, k + 1]]`` for the array's field f
O_ENT, O_DL, O_GS, O_S, O_IE, O_HR, O_HB, O_HF, O_PG, O_PE = range(10)
#: packed array -> its field (push entries, delays, group starts, spike list, events per input
#: neuron, history bucket starts, history spikes, bucket fill, pull groups, pull entries)
PACKED = {"KOX": O_ENT, "KOY": O_ENT, "KOF": O_ENT, "KOFU": O_ENT, "KW": O_ENT, "KDL": O_DL, "KGS": O_GS,
          "KS": O_S, "KIE": O_IE, "KHR": O_HR, "KHB": O_HB, "KHY": O_HB, "KHF": O_HF, "KPG": O_PG, "KPC": O_PE,
          "KPX": O_PE, "KPY": O_PE, "KPO": O_PE, "KPW": O_PE}
#: column of ``KPM`` that says convolution k is delivered in arrival order
PULL_FLAG = 5


@numba.njit(cache=True, inline="always")
def _part(A, KO, f, k):
    return A[KO[f, k]:KO[f, k + 1]]


@numba.njit(cache=True, inline="always")
def _rows(A, KO, f, k, n_rows):
    """Convolution k's part of packed ``A`` as ``n_rows`` rows."""
    a = KO[f, k]
    b = KO[f, k + 1]
    return A[a:b].reshape((n_rows, (b - a) // n_rows))


@_jit
def conv_spikes(KM, KPM, KO, KS, KNS, KIE, KHR, KHB, KHY, KHF, spike_list, n_spk, slot, n_slots):
    """Before the loop over parts, for every convolution in order: list this step's spikes of
    its input population (push; their number in ``KNS[k]``) or store them in its history
    (pull). Returns the synaptic events counted at emission (pull)."""
    ev = 0
    for k in range(KM.shape[0]):
        if KPM[k, PULL_FLAG] != 0:
            ev += store_history(KM[k], KPM[k], _part(KIE, KO, O_IE, k), _rows(KHR, KO, O_HR, k, n_slots),
                                _rows(KHB, KO, O_HB, k, n_slots), _rows(KHY, KO, O_HB, k, n_slots),
                                _part(KHF, KO, O_HF, k), spike_list, n_spk, slot)
        else:
            KNS[k] = list_spikes(KM[k], _rows(KS, KO, O_S, k, 6), spike_list, n_spk)
    return ev


@_jit
def conv_deliver(KM, KPM, KO, KOX, KOY, KOF, KOFU, KW, KDL, KGS, KS, KNS, KHR, KHB, KHY, KPG, KPC, KPX, KPY, KPO,
                 KPW, ring, slot, n_slots, ring_cells, clo, chi, check):
    """Inside the loop over parts (ring cells ``[clo, chi)``), after the part's CSR segments:
    every convolution in order, pushed or pulled. Returns the part's pushed synaptic events."""
    ev = 0
    for k in range(KM.shape[0]):
        kdl = _part(KDL, KO, O_DL, k)
        if KPM[k, PULL_FLAG] != 0:
            pull(KM[k], KPM[k], kdl, _rows(KHR, KO, O_HR, k, n_slots), _rows(KHB, KO, O_HB, k, n_slots),
                 _rows(KHY, KO, O_HB, k, n_slots), _part(KPG, KO, O_PG, k), _part(KPC, KO, O_PE, k),
                 _part(KPX, KO, O_PE, k), _part(KPY, KO, O_PE, k), _part(KPO, KO, O_PE, k),
                 _part(KPW, KO, O_PE, k), ring, slot, n_slots, ring_cells, clo, chi, check)
        else:
            ev += push(KM[k], _part(KOX, KO, O_ENT, k), _part(KOY, KO, O_ENT, k), _part(KOF, KO, O_ENT, k),
                       _part(KOFU, KO, O_ENT, k), _part(KW, KO, O_ENT, k), kdl, _part(KGS, KO, O_GS, k),
                       _rows(KS, KO, O_S, k, 6), KNS[k], ring, slot, n_slots, ring_cells, clo, chi, check)
    return ev


_SPIKE_ARGS = ("KM", "KPM", "KO", "KS", "KNS", "KIE", "KHR", "KHB", "KHY", "KHF")
_DELIVER_ARGS = ("KM", "KPM", "KO", "KOX", "KOY", "KOF", "KOFU", "KW", "KDL", "KGS", "KS", "KNS", "KHR", "KHB",
                 "KHY", "KPG", "KPC", "KPX", "KPY", "KPO", "KPW")
_IMPORT = "from spikesim.backends.numba_cpu.conv import conv_deliver as _conv_deliver, conv_spikes as _conv_spikes"


def emit_conv_spikes(emit, plan, imports: set) -> None:
    """Emit (before the loop over parts, serially) the listing or storing of every convolution's
    input spikes, with the synaptic events counted at emission."""
    imports.add(_IMPORT)
    emit(f"        counters[C_EVENTS] += _conv_spikes({', '.join(_SPIKE_ARGS)}, spike_list, n_spk, slot, n_slots)")


def emit_conv_delivery(emit, plan) -> list[str]:
    """Emit the delivery of every convolution of ``plan`` (inside the loop over parts, after the
    part's CSR segments): one call for all of them, whatever their number (the generated loop
    and its arguments do not grow with it); return the names of the arrays it reads."""
    if not plan.convs:
        return []
    check = "True" if plan.n_parts > 1 else "False"
    emit(f"            KEV[part] += _conv_deliver({', '.join(_DELIVER_ARGS)}, ring, slot, n_slots, ring_cells, "
         f"KB[part], KB[part + 1], {check})")
    return ["KB", "KEV"] + list(dict.fromkeys(_SPIKE_ARGS + _DELIVER_ARGS))


def emit_conv_count(emit, plan) -> None:
    """Emit (after the loop over parts) the addition of the parts' event counts."""
    if plan.convs:
        emit("        for part in range(n_parts):")
        emit("            counters[C_EVENTS] += KEV[part]")
        emit("            KEV[part] = 0")


def conv_header(cp) -> np.ndarray:
    """``KM``'s row of a planned convolution (int64): pre start, n pre, the input's id strides
    s_c, s_x, s_y, C_in, X, Y, the output's id strides of x and y, the first ring cell, max |ox|,
    max |oy|, the smallest and the largest target offset."""
    return np.array([cp.pre_start, cp.n_pre, *cp.dec, *cp.out_xy, cp.cell0, *cp.reach], dtype=np.int64)


def _pull_header(cp) -> np.ndarray:
    """``KPM``'s row: output channels, output channel stride, a channel's cell span, max |oy|,
    whether 2 max |oy| <= Y, and the pull flag (all zero for a pushed convolution)."""
    pl = cp.pull
    if pl is None:
        return np.zeros(PULL_FLAG + 1, dtype=np.int64)
    so = cp.out_strides
    n_c_out = (pl.grp.size - 1) // max(cp.delays.size, 1)
    span = so[1] * (cp.dec[4] - 1) + so[2] * (cp.dec[5] - 1)          # a channel's cells: [c s_c, + span]
    ry = int(np.abs(pl.oy).max()) if pl.oy.size else 0
    return np.array([n_c_out, so[0], span, ry, 2 * ry <= cp.dec[5], 1], dtype=np.int64)


def _pieces(cp, n_slots: int, wdt) -> dict[str, np.ndarray]:
    """One convolution's part of every packed array (empty where its delivery does not read it)."""
    i8, none = np.int64, np.zeros(0, np.int64)
    out = {"KDL": cp.delays, "KGS": cp.grp_start}
    pl = cp.pull
    if pl is None:
        out.update(KOX=cp.ent_ox, KOY=cp.ent_oy, KOF=cp.ent_off, KOFU=cp.ent_off.astype(np.uint64), KW=cp.ent_w,
                   KS=np.zeros(6 * max(cp.n_pre, 1), i8), KIE=none, KHR=none, KHB=np.zeros(0, np.int32),
                   KHY=np.zeros(0, np.int32), KHF=none, KPG=none, KPC=none, KPX=none, KPY=none, KPO=none,
                   KPW=np.zeros(0, wdt))
        return out
    if pl.n_slots != n_slots:
        raise AssertionError(f"a convolution's history has {pl.n_slots} slots, the ring {n_slots}")
    hr, hb, hy = pl.history(cp)
    out.update(KOX=none, KOY=none, KOF=none, KOFU=np.zeros(0, np.uint64), KW=np.zeros(0, wdt), KS=none,
               KIE=pl.in_events, KHR=hr.ravel(), KHB=hb.ravel(), KHY=hy.ravel(), KHF=np.zeros(hr.shape[1], i8),
               KPG=pl.grp, KPC=pl.ch, KPX=pl.ox, KPY=pl.oy, KPO=pl.off, KPW=pl.w)
    return out


def conv_arrays(plan) -> dict[str, np.ndarray]:
    """The arrays of :func:`emit_conv_delivery`: per convolution a row of ``KM`` and ``KPM``, and
    its parts of the packed arrays (:data:`PACKED`, offsets ``KO``). The history of a convolution
    delivered in arrival order is copied in, and its :class:`~spikesim.core.conv.ConvPull` then
    keeps views of the packed arrays, so it persists across runs (and ``Network.clear_pending``
    clears what the kernel reads)."""
    n = len(plan.convs)
    wdt = plan.convs[0].ent_w.dtype
    pieces = [_pieces(cp, plan.n_slots, wdt) for cp in plan.convs]
    KO = np.zeros((O_PE + 1, n + 1), dtype=np.int64)
    for name, f in PACKED.items():
        sizes = np.array([p[name].size for p in pieces], dtype=np.int64)
        np.cumsum(sizes, out=KO[f, 1:])
    out = {"KB": np.ascontiguousarray(plan.part_bounds, dtype=np.int64), "KEV": np.zeros(max(plan.n_parts, 1), np.int64),
           "KM": np.stack([conv_header(cp) for cp in plan.convs]), "KPM": np.stack([_pull_header(cp) for cp in plan.convs]),
           "KO": KO, "KNS": np.zeros(n, np.int64)}
    for name, f in PACKED.items():
        parts = [np.ascontiguousarray(p[name]).ravel() for p in pieces]
        if any(parts[k].size != KO[f, k + 1] - KO[f, k] for k in range(n)):
            raise AssertionError(f"packed {name}: sizes differ from its field's")
        out[name] = np.concatenate(parts).astype(parts[0].dtype, copy=False)
    for k, cp in enumerate(plan.convs):      # the history lives in the packed arrays from now on
        pl = cp.pull
        if pl is not None:
            rows = pl.hist_rows.shape[0]
            pl.hist_rows = out["KHR"][KO[O_HR, k]:KO[O_HR, k + 1]].reshape(rows, -1)
            pl.hist_base = out["KHB"][KO[O_HB, k]:KO[O_HB, k + 1]].reshape(rows, -1)
            pl.hist_y = out["KHY"][KO[O_HB, k]:KO[O_HB, k + 1]].reshape(rows, -1)
    return out
