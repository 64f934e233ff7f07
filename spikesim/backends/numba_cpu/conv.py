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
"""
from __future__ import annotations

import numpy as np


def emit_conv_spikes(emit, plan) -> None:
    """Emit (before the loop over parts, serially) the list of this step's spikes of each
    convolution's input population: channel, first target cell, position, whether every entry
    lands inside the frame and whether every y offset does (``KS{k}``, ``kns{k}`` of them)."""
    for k in range(len(plan.convs)):
        km = f"KM{k}"
        names = ("k_pre0", "k_npre", "k_sc", "k_sx", "k_sy", "k_nc", "k_nx", "k_ny", "k_ox", "k_oy", "k_cell0",
                 "k_rx", "k_ry", "k_offlo", "k_offhi")
        emit(f"        {', '.join(n + str(k) for n in names)} = {', '.join(f'{km}[{j}]' for j in range(len(names)))}")
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
    for k in range(len(plan.convs)):
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
    return ["KB", "KEV"] + [f"{a}{k}" for k in range(len(plan.convs))
                            for a in ("KM", "KOX", "KOY", "KOF", "KOFU", "KW", "KDL", "KGS", "KS")]


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
    return out
