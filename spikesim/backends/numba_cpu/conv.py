"""The delivery of convolutional projections (:mod:`spikesim.core.conv`) in the generated loop.

Emitted inside the loop over parts, after the part's CSR segments: every part walks the step's
spikes in order and, for a spike of a convolution's input population, the kernel entries of
its channel (sorted by delay, then target offset); an entry whose target lies in the frame and
in the part's ring cells adds its weight to the ring slot of its delay. So each ring cell
receives its CSR contributions, then its convolution contributions, each in spike order,
whatever the number of parts: bit-identical to the NumPy reference
(:mod:`spikesim.backends.reference.conv`) and to the same synapses stored explicitly.

Per convolution ``k`` the kernel takes ``KM{k}`` (int64: pre start, n pre, the input's id
strides s_c, s_x, s_y, C_in, X, Y, the output's id strides of x and y, the first ring cell, the
reach max |ox|, max |oy| and the smallest and largest target offset), ``KP{k}`` (entry pointer
per input channel), ``KOX{k}``, ``KOY{k}``, ``KOF{k}``, ``KD{k}``, ``KW{k}`` per entry, and the
groups of one delay ``KGP{k}`` (per channel), ``KGD{k}`` (delay), ``KGE{k}`` (first entry);
``KB`` is the parts' ring-cell bounds and ``KEV`` the parts' event counts.
"""
from __future__ import annotations

import numpy as np


def emit_conv_delivery(emit, plan) -> list[str]:
    """Emit the delivery of every convolution of ``plan`` (inside the loop over parts); return
    the names of the arrays it reads.

    The spike's entries come in groups of one delay (one ring slot each). A spike far enough from
    the frame's border that every entry lands inside it (and, with parts, every target inside
    the part's cells) takes the plain loop ``ring[slot base + offset] += w``; the others check
    each entry. Scalars are read into locals once per step (a store into the ring could alias
    them otherwise)."""
    if not plan.convs:
        return []
    check_parts = plan.n_parts > 1
    P = " " * 12
    for k in range(len(plan.convs)):
        km = f"KM{k}"
        names = ("k_pre0", "k_npre", "k_sc", "k_sx", "k_sy", "k_nc", "k_nx", "k_ny", "k_ox", "k_oy", "k_cell0",
                 "k_rx", "k_ry", "k_offlo", "k_offhi")
        emit(f"{P}{', '.join(names)} = {', '.join(f'{km}[{j}]' for j in range(len(names)))}")
        if check_parts:
            emit(f"{P}k_clo = KB[part]")
            emit(f"{P}k_chi = KB[part + 1]")
        emit(f"{P}for pk in range(n_spk):")
        emit(f"{P}    kg = spike_list[pk] - k_pre0")
        emit(f"{P}    if kg < 0 or kg >= k_npre:")
        emit(f"{P}        continue")
        emit(f"{P}    kch = (kg // k_sc) % k_nc")
        emit(f"{P}    kx = (kg // k_sx) % k_nx")
        emit(f"{P}    ky = (kg // k_sy) % k_ny")
        emit(f"{P}    kbase = k_cell0 + k_ox * kx + k_oy * ky")
        inner = "kx >= k_rx and kx < k_nx - k_rx and ky >= k_ry and ky < k_ny - k_ry"
        if check_parts:
            inner += " and kbase + k_offlo >= k_clo and kbase + k_offhi < k_chi"
        emit(f"{P}    kin = {inner}")
        emit(f"{P}    kn = 0")
        emit(f"{P}    for kq in range(KGP{k}[kch], KGP{k}[kch + 1]):")
        emit(f"{P}        kt = slot + KGD{k}[kq]")
        emit(f"{P}        if kt >= n_slots:")
        emit(f"{P}            kt -= n_slots")
        emit(f"{P}        ksb = kt * ring_cells + kbase")
        emit(f"{P}        ke0 = KGE{k}[kq]")
        emit(f"{P}        ke1 = KGE{k}[kq + 1]")
        emit(f"{P}        if kin:")
        emit(f"{P}            for ke in range(ke0, ke1):")
        emit(f"{P}                ring[ksb + KOF{k}[ke]] += KW{k}[ke]")
        emit(f"{P}            kn += ke1 - ke0")
        emit(f"{P}            continue")
        emit(f"{P}        for ke in range(ke0, ke1):")
        emit(f"{P}            ktx = kx + KOX{k}[ke]")
        emit(f"{P}            kty = ky + KOY{k}[ke]")
        emit(f"{P}            if ktx < 0 or ktx >= k_nx or kty < 0 or kty >= k_ny:")
        emit(f"{P}                continue")
        if check_parts:
            emit(f"{P}            kc = kbase + KOF{k}[ke]")
            emit(f"{P}            if kc < k_clo or kc >= k_chi:")
            emit(f"{P}                continue")
        emit(f"{P}            ring[ksb + KOF{k}[ke]] += KW{k}[ke]")
        emit(f"{P}            kn += 1")
        emit(f"{P}    KEV[part] += kn")
    return ["KB", "KEV"] + [f"{a}{k}" for k in range(len(plan.convs))
                            for a in ("KM", "KP", "KOX", "KOY", "KOF", "KD", "KW", "KGP", "KGD", "KGE")]


def emit_conv_count(emit, plan) -> None:
    """Emit (after the loop over parts) the addition of the parts' event counts."""
    if plan.convs:
        emit("        for part in range(n_parts):")
        emit("            counters[C_EVENTS] += KEV[part]")
        emit("            KEV[part] = 0")


def conv_arrays(plan) -> dict[str, np.ndarray]:
    """The arrays of :func:`emit_conv_delivery`."""
    out = {"KB": np.ascontiguousarray(plan.part_bounds, dtype=np.int64), "KEV": np.zeros(max(plan.n_parts, 1), np.int64)}
    for k, cp in enumerate(plan.convs):
        out[f"KM{k}"] = np.array([cp.pre_start, cp.n_pre, *cp.dec, *cp.out_xy, cp.cell0, *cp.reach], dtype=np.int64)
        out[f"KP{k}"], out[f"KOX{k}"], out[f"KOY{k}"] = cp.ent_ptr, cp.ent_ox, cp.ent_oy
        out[f"KOF{k}"], out[f"KD{k}"], out[f"KW{k}"] = cp.ent_off, cp.ent_delay, cp.ent_w
        out[f"KGP{k}"], out[f"KGD{k}"], out[f"KGE{k}"] = cp.grp_ptr, cp.grp_delay, cp.grp_start
    return out
