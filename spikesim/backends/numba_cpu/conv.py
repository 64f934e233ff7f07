"""The delivery of convolutional projections (:mod:`spikesim.core.conv`) in the generated loop.

Before the loop over parts the step's spikes of each convolution's input population are
listed (channel, position, first target cell). Inside the loop over parts, after the part's CSR
segments, every part walks the delays, and for each the listed spikes in order and their kernel
entries of that delay; an entry whose target lies in the frame and in the part's ring cells adds
its weight to the ring slot of its delay. So each ring cell receives its CSR contributions, then
its convolution contributions in spike order, whatever the number of parts: bit-identical to
the NumPy reference (:mod:`spikesim.backends.reference.conv`) and to the same synapses stored
explicitly.

Per convolution ``k`` the kernel takes ``KM{k}`` (int64: pre start, n pre, the input's id
strides s_c, s_x, s_y, C_in, X, Y, the output's id strides of x and y, the first ring cell, the
reach max |ox|, max |oy| and the smallest and largest target offset), per entry ``KOX{k}``,
``KOY{k}``, ``KOF{k}`` (and its unsigned copy ``KOFU{k}`` for indexing) and ``KW{k}``, the
distinct delays ``KDL{k}``, the first entry of each (channel, delay) ``KGS{k}`` and the scratch
list of the step's input spikes ``KS{k}``; ``KB`` is the parts' ring-cell bounds and ``KEV``
the parts' event counts.

A convolution alone on its ring cells (no CSR synapse, other convolution or attention writes
them) is instead delivered in arrival order (:class:`spikesim.core.conv.ConvPull`): before the
loop over parts its input spikes are stored in a history slot (``KHR``/``KHB``/``KHY``, events
counted then, ``KIE``), and inside it the contributions due at the next step are gathered
(``KPM``, ``KPG`` and the entries ``KPC``, ``KPX``, ``KPY``, ``KPO``, ``KPW`` in that order);
same additions in the same order per cell, so the same bits.
"""
from __future__ import annotations

import numpy as np


def emit_conv_spikes(emit, plan) -> None:
    """Emit (before the loop over parts, serially) the list of this step's spikes of each
    convolution's input population: channel, first target cell, position, whether every entry
    lands inside the frame and whether every y offset does (``KS{k}``, ``kns{k}`` of them)."""
    for k, cp in enumerate(plan.convs):
        km = f"KM{k}"
        names = ("k_pre0", "k_npre", "k_sc", "k_sx", "k_sy", "k_nc", "k_nx", "k_ny", "k_ox", "k_oy", "k_cell0",
                 "k_rx", "k_ry", "k_offlo", "k_offhi")
        emit(f"        {', '.join(n + str(k) for n in names)} = {', '.join(f'{km}[{j}]' for j in range(len(names)))}")
        if cp.pull is not None:
            _emit_history(emit, k)
            continue
        emit(f"        kns{k} = 0")
        emit("        for pk in range(n_spk):")
        emit(f"            kg = spike_list[pk] - k_pre0{k}")
        emit(f"            if kg < 0 or kg >= k_npre{k}:")
        emit("                continue")
        emit(f"            kx = (kg // k_sx{k}) % k_nx{k}")
        emit(f"            ky = (kg // k_sy{k}) % k_ny{k}")
        emit(f"            KS{k}[0, kns{k}] = (kg // k_sc{k}) % k_nc{k}")
        emit(f"            KS{k}[1, kns{k}] = k_cell0{k} + k_ox{k} * kx + k_oy{k} * ky")
        emit(f"            KS{k}[2, kns{k}] = kx")
        emit(f"            KS{k}[3, kns{k}] = ky")
        emit(f"            kiy = ky >= k_ry{k} and ky < k_ny{k} - k_ry{k}")
        emit(f"            KS{k}[4, kns{k}] = 1 if (kiy and kx >= k_rx{k} and kx < k_nx{k} - k_rx{k}) else 0")
        emit(f"            KS{k}[5, kns{k}] = 1 if kiy else 0")
        emit(f"            kns{k} += 1")


def _emit_history(emit, k: int) -> None:
    """Emit the storing of this step's input spikes of pull convolution ``k`` in its history
    slot ``slot`` (:class:`spikesim.core.conv.ConvPull`): bucket counts per (y band, input
    channel, x), their starts, then the spikes in id order into their buckets; and the count of
    their synaptic events. Band 0 holds the spikes with ``ry <= y < Y - ry`` (every entry's
    target is inside the frame in y), band 1 those with ``y < ry``, band 2 the others (``ry``:
    the largest |y offset|)."""
    P = " " * 8
    emit(f"{P}khr = KHR{k}[slot]")
    emit(f"{P}khr[:] = 0")
    emit(f"{P}kev = 0")
    emit(f"{P}kcx = k_nc{k} * k_nx{k}")
    emit(f"{P}kry = KPM{k}[3]")
    band = (f"(0 if ky >= kry and ky < k_ny{k} - kry else (1 if ky < kry else 2)) * kcx"
            f" + ((kg // k_sc{k}) % k_nc{k}) * k_nx{k} + (kg // k_sx{k}) % k_nx{k}")
    emit(f"{P}for pk in range(n_spk):")
    emit(f"{P}    kg = spike_list[pk] - k_pre0{k}")
    emit(f"{P}    if kg < 0 or kg >= k_npre{k}:")
    emit(f"{P}        continue")
    emit(f"{P}    ky = (kg // k_sy{k}) % k_ny{k}")
    emit(f"{P}    khr[{band} + 1] += 1")
    emit(f"{P}    kev += KIE{k}[kg]")
    emit(f"{P}counters[C_EVENTS] += kev")
    emit(f"{P}for kb_ in range(khr.size - 1):")
    emit(f"{P}    khr[kb_ + 1] += khr[kb_]")
    emit(f"{P}    KHF{k}[kb_] = khr[kb_]")
    emit(f"{P}khb = KHB{k}[slot]")
    emit(f"{P}khy = KHY{k}[slot]")
    emit(f"{P}for pk in range(n_spk):")
    emit(f"{P}    kg = spike_list[pk] - k_pre0{k}")
    emit(f"{P}    if kg < 0 or kg >= k_npre{k}:")
    emit(f"{P}        continue")
    emit(f"{P}    kx = (kg // k_sx{k}) % k_nx{k}")
    emit(f"{P}    ky = (kg // k_sy{k}) % k_ny{k}")
    emit(f"{P}    kb_ = {band}")
    emit(f"{P}    kq = KHF{k}[kb_]")
    emit(f"{P}    KHF{k}[kb_] = kq + 1")
    emit(f"{P}    khb[kq] = k_ox{k} * kx + k_oy{k} * ky")
    emit(f"{P}    khy[kq] = ky")


def _emit_pull(emit, k: int, check_parts: bool) -> None:
    """Emit the arrival-order delivery of pull convolution ``k`` into slot ``slot + 1``
    (:class:`spikesim.core.conv.ConvPull`): output channel by channel, delays from the longest,
    the (channel, delay)'s entries in key order, each over the spikes of its input channel kept
    for that emission step whose target is in the frame in x (a run of buckets per y band).
    Within one entry every spike has its own target cell, so the bands may come in any order.
    Band 0 needs no check in y; band 1 (small y) none when the entry's y offset is >= 0, band 2
    none when it is <= 0 (given 2 ry <= Y, ``KPM[4]``). With parts, a channel's cells outside
    the part are skipped, checked per addition only for a channel that straddles its bounds."""
    P = " " * 12
    emit(f"{P}knd = KDL{k}.size")
    emit(f"{P}kT = slot + 1")
    emit(f"{P}if kT >= n_slots:")
    emit(f"{P}    kT -= n_slots")
    emit(f"{P}kTb = kT * ring_cells + k_cell0{k}")
    emit(f"{P}kuy = np.uint64(k_ny{k})")
    emit(f"{P}kcx = k_nc{k} * k_nx{k}")
    emit(f"{P}ksafe = KPM{k}[4] != 0")
    emit(f"{P}for kc in range(KPM{k}[0]):")
    if check_parts:
        emit(f"{P}    kclo = k_cell0{k} + KPM{k}[1] * kc")
        emit(f"{P}    kchi = kclo + KPM{k}[2]")
        emit(f"{P}    if kchi < KB[part] or kclo >= KB[part + 1]:")
        emit(f"{P}        continue")
        emit(f"{P}    kall = kclo >= KB[part] and kchi < KB[part + 1]")
    emit(f"{P}    for kj in range(knd - 1, -1, -1):")
    emit(f"{P}        kh = kT - KDL{k}[kj]")
    emit(f"{P}        if kh < 0:")
    emit(f"{P}            kh += n_slots")
    emit(f"{P}        if KHR{k}[kh, 3 * kcx] == 0:")
    emit(f"{P}            continue")
    emit(f"{P}        khr = KHR{k}[kh]")
    emit(f"{P}        khb = KHB{k}[kh]")
    emit(f"{P}        khy = KHY{k}[kh]")
    emit(f"{P}        kgi = kc * knd + kj")
    emit(f"{P}        for ke in range(KPG{k}[kgi], KPG{k}[kgi + 1]):")
    emit(f"{P}            kox = KPX{k}[ke]")
    emit(f"{P}            koy = KPY{k}[ke]")
    emit(f"{P}            kx0 = KPC{k}[ke] * k_nx{k} + (-kox if kox < 0 else 0)")
    emit(f"{P}            kx1 = KPC{k}[ke] * k_nx{k} + (k_nx{k} - kox if kox > 0 else k_nx{k})")
    emit(f"{P}            kw = KPW{k}[ke]")
    emit(f"{P}            kb = np.uint64(kTb + KPO{k}[ke])")
    Q = P + "            "
    if check_parts:
        emit(f"{Q}if not kall:")
        emit(f"{Q}    kcb = k_cell0{k} + KPO{k}[ke]")
        emit(f"{Q}    for kband in range(3):")
        emit(f"{Q}        for kq in range(khr[kband * kcx + kx0], khr[kband * kcx + kx1]):")
        emit(f"{Q}            kcell = kcb + khb[kq]")
        emit(f"{Q}            if np.uint64(khy[kq] + koy) < kuy and kcell >= KB[part] and kcell < KB[part + 1]:")
        emit(f"{Q}                ring[kb + np.uint64(khb[kq])] += kw")
        emit(f"{Q}    continue")
    emit(f"{Q}for kq in range(np.uint64(khr[kx0]), np.uint64(khr[kx1])):")
    emit(f"{Q}    ring[kb + np.uint64(khb[kq])] += kw")
    for band, free in ((1, "koy >= 0"), (2, "koy <= 0")):
        emit(f"{Q}kq0 = np.uint64(khr[{band} * kcx + kx0])")
        emit(f"{Q}kq1 = np.uint64(khr[{band} * kcx + kx1])")
        emit(f"{Q}if ksafe and {free}:")
        emit(f"{Q}    for kq in range(kq0, kq1):")
        emit(f"{Q}        ring[kb + np.uint64(khb[kq])] += kw")
        emit(f"{Q}else:")
        emit(f"{Q}    for kq in range(kq0, kq1):")
        emit(f"{Q}        if np.uint64(khy[kq] + koy) < kuy:")
        emit(f"{Q}            ring[kb + np.uint64(khb[kq])] += kw")


def emit_conv_delivery(emit, plan) -> list[str]:
    """Emit the delivery of every convolution of ``plan`` (inside the loop over parts); return
    the names of the arrays it reads.

    Delay by delay (one ring slot at a time, so the working set is one slot, as for explicit
    synapses sorted by delay), spike by spike, the spike's entries of that delay. A spike whose
    every entry lands inside the frame (and, with parts, inside the part's cells) takes the
    plain loop ``ring[slot base + offset] += w``; for the others the entries inside the frame in
    x are one run (entries are sorted by x offset, found by bisection), checked in y only when
    the spike is near the top or bottom border. Each (slot, cell)
    gets at most one entry per spike and delay, in spike order: the order of the reference."""
    if not plan.convs:
        return []
    check_parts = plan.n_parts > 1
    P = " " * 12
    names = ["KB", "KEV"]
    for k, cp in enumerate(plan.convs):
        if cp.pull is not None:
            _emit_pull(emit, k, check_parts)
            names += [f"{a}{k}" for a in ("KM", "KDL", "KIE", "KHR", "KHB", "KHY", "KHF", "KPM", "KPG", "KPC", "KPX",
                                          "KPY", "KPO", "KPW")]
            continue
        names += [f"{a}{k}" for a in ("KM", "KOX", "KOY", "KOF", "KOFU", "KW", "KDL", "KGS", "KS")]
        if check_parts:
            emit(f"{P}k_clo = KB[part]")
            emit(f"{P}k_chi = KB[part + 1]")
        emit(f"{P}knd = KDL{k}.size")
        emit(f"{P}kn = 0")
        emit(f"{P}for kj in range(knd):")
        emit(f"{P}    kt = slot + KDL{k}[kj]")
        emit(f"{P}    if kt >= n_slots:")
        emit(f"{P}        kt -= n_slots")
        emit(f"{P}    ksl = kt * ring_cells")
        emit(f"{P}    for kq in range(kns{k}):")
        emit(f"{P}        kgi = KS{k}[0, kq] * knd + kj")
        emit(f"{P}        ke0 = KGS{k}[kgi]")
        emit(f"{P}        ke1 = KGS{k}[kgi + 1]")
        emit(f"{P}        kbase = KS{k}[1, kq]")
        emit(f"{P}        ksb = np.uint64(ksl + kbase)")
        inner = f"KS{k}[4, kq] != 0"
        if check_parts:
            inner += f" and kbase + k_offlo{k} >= k_clo and kbase + k_offhi{k} < k_chi"
        emit(f"{P}        if {inner}:")
        emit(f"{P}            for ke in range(np.uint64(ke0), np.uint64(ke1)):")
        emit(f"{P}                ring[ksb + np.uint64(KOFU{k}[ke])] += KW{k}[ke]")
        emit(f"{P}            kn += ke1 - ke0")
        emit(f"{P}            continue")
        emit(f"{P}        kx = KS{k}[2, kq]")
        emit(f"{P}        ky = KS{k}[3, kq]")
        # the entries are sorted by ox: those with 0 <= kx + ox < X are one run [ka, kb)
        emit(f"{P}        ka = ke0")
        emit(f"{P}        kb = ke1")
        emit(f"{P}        while ka < kb:")
        emit(f"{P}            km_ = (ka + kb) >> 1")
        emit(f"{P}            if KOX{k}[km_] < -kx:")
        emit(f"{P}                ka = km_ + 1")
        emit(f"{P}            else:")
        emit(f"{P}                kb = km_")
        emit(f"{P}        kb = ke1")
        emit(f"{P}        kz = ka")
        emit(f"{P}        while kz < kb:")
        emit(f"{P}            km_ = (kz + kb) >> 1")
        emit(f"{P}            if KOX{k}[km_] < k_nx{k} - kx:")
        emit(f"{P}                kz = km_ + 1")
        emit(f"{P}            else:")
        emit(f"{P}                kb = km_")
        if not check_parts:
            emit(f"{P}        if KS{k}[5, kq] != 0:")
            emit(f"{P}            for ke in range(np.uint64(ka), np.uint64(kb)):")
            emit(f"{P}                ring[ksb + np.uint64(KOFU{k}[ke])] += KW{k}[ke]")
            emit(f"{P}            kn += kb - ka")
            emit(f"{P}            continue")
        emit(f"{P}        for ke in range(ka, kb):")
        emit(f"{P}            kty = ky + KOY{k}[ke]")
        emit(f"{P}            if kty < 0 or kty >= k_ny{k}:")
        emit(f"{P}                continue")
        if check_parts:
            emit(f"{P}            kc = kbase + KOF{k}[ke]")
            emit(f"{P}            if kc < k_clo or kc >= k_chi:")
            emit(f"{P}                continue")
        emit(f"{P}            ring[ksb + np.uint64(KOFU{k}[ke])] += KW{k}[ke]")
        emit(f"{P}            kn += 1")
        emit(f"{P}KEV[part] += kn")
    return names


def emit_conv_count(emit, plan) -> None:
    """Emit (after the loop over parts) the addition of the parts' event counts."""
    if plan.convs:
        emit("        for part in range(n_parts):")
        emit("            counters[C_EVENTS] += KEV[part]")
        emit("            KEV[part] = 0")


def conv_arrays(plan) -> dict[str, np.ndarray]:
    """The arrays of :func:`emit_conv_delivery` (and, ``KP{k}`` / ``KD{k}``, the entry pointer per
    channel and the entries' delays that the CUDA kernel reads)."""
    out = {"KB": np.ascontiguousarray(plan.part_bounds, dtype=np.int64), "KEV": np.zeros(max(plan.n_parts, 1), np.int64)}
    for k, cp in enumerate(plan.convs):
        out[f"KM{k}"] = np.array([cp.pre_start, cp.n_pre, *cp.dec, *cp.out_xy, cp.cell0, *cp.reach], dtype=np.int64)
        out[f"KP{k}"], out[f"KOX{k}"], out[f"KOY{k}"] = cp.ent_ptr, cp.ent_ox, cp.ent_oy
        out[f"KOF{k}"], out[f"KD{k}"], out[f"KW{k}"] = cp.ent_off, cp.ent_delay, cp.ent_w
        out[f"KDL{k}"], out[f"KGS{k}"] = cp.delays, cp.grp_start
        out[f"KOFU{k}"] = cp.ent_off.astype(np.uint64)   # offsets wrap modulo 2**64: ksb + off is the cell
        out[f"KS{k}"] = np.zeros((6, max(cp.n_pre, 1)), dtype=np.int64)     # this step's spikes (scratch)
        if cp.pull is not None:
            pl = cp.pull
            out[f"KHR{k}"], out[f"KHB{k}"], out[f"KHY{k}"] = pl.history(cp)
            out[f"KHF{k}"] = np.zeros(out[f"KHR{k}"].shape[1], dtype=np.int64)   # bucket fill (scratch)
            so = cp.out_strides
            n_c_out = (pl.grp.size - 1) // max(cp.delays.size, 1)
            span = so[1] * (cp.dec[4] - 1) + so[2] * (cp.dec[5] - 1)          # a channel's cells: [c s_c, + span]
            ry = int(np.abs(pl.oy).max()) if pl.oy.size else 0
            out[f"KPM{k}"] = np.array([n_c_out, so[0], span, ry, 2 * ry <= cp.dec[5]], dtype=np.int64)
            out[f"KIE{k}"], out[f"KPG{k}"], out[f"KPC{k}"] = pl.in_events, pl.grp, pl.ch
            out[f"KPX{k}"], out[f"KPY{k}"], out[f"KPO{k}"], out[f"KPW{k}"] = pl.ox, pl.oy, pl.off, pl.w
    return out
