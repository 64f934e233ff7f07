"""The delivery of convolutional projections (:mod:`spikesim.core.conv`) in the generated loop.

Emitted inside the loop over parts, after the part's CSR segments: every part walks the step's
spikes in order and, for a spike of a convolution's input population, the kernel entries of
its channel (sorted by delay, then target offset); an entry whose target lies in the frame and
in the part's ring cells adds its weight to the ring slot of its delay. So each ring cell
receives its CSR contributions, then its convolution contributions, each in spike order,
whatever the number of parts: bit-identical to the NumPy reference
(:mod:`spikesim.backends.reference.conv`) and to the same synapses stored explicitly.

Per convolution ``k`` the kernel takes ``KM{k}`` (int64: pre start, n pre, the input's id
strides s_c, s_x, s_y, C_in, X, Y, the output's id strides of x and y, the first ring cell),
``KP{k}`` (entry pointer per input channel), ``KOX{k}``, ``KOY{k}``, ``KOF{k}``, ``KD{k}``,
``KW{k}``; ``KB`` is the parts' ring-cell bounds and ``KEV`` the parts' event counts.
"""
from __future__ import annotations

import numpy as np


def emit_conv_delivery(emit, plan) -> list[str]:
    """Emit the delivery of every convolution of ``plan`` (inside the loop over parts); return
    the names of the arrays it reads."""
    if not plan.convs:
        return []
    check_parts = plan.n_parts > 1
    P = " " * 12
    for k in range(len(plan.convs)):
        km = f"KM{k}"
        emit(f"{P}for pk in range(n_spk):")
        emit(f"{P}    kg = spike_list[pk] - {km}[0]")
        emit(f"{P}    if kg < 0 or kg >= {km}[1]:")
        emit(f"{P}        continue")
        emit(f"{P}    kch = (kg // {km}[2]) % {km}[5]")
        emit(f"{P}    kx = (kg // {km}[3]) % {km}[6]")
        emit(f"{P}    ky = (kg // {km}[4]) % {km}[7]")
        emit(f"{P}    kbase = {km}[10] + {km}[8] * kx + {km}[9] * ky")
        emit(f"{P}    kn = 0")
        emit(f"{P}    for ke in range(KP{k}[kch], KP{k}[kch + 1]):")
        emit(f"{P}        ktx = kx + KOX{k}[ke]")
        emit(f"{P}        kty = ky + KOY{k}[ke]")
        emit(f"{P}        if ktx < 0 or ktx >= {km}[6] or kty < 0 or kty >= {km}[7]:")
        emit(f"{P}            continue")
        emit(f"{P}        kc = kbase + KOF{k}[ke]")
        if check_parts:
            emit(f"{P}        if kc < KB[part] or kc >= KB[part + 1]:")
            emit(f"{P}            continue")
        emit(f"{P}        kt = slot + KD{k}[ke]")
        emit(f"{P}        if kt >= n_slots:")
        emit(f"{P}            kt -= n_slots")
        emit(f"{P}        ring[kt * ring_cells + kc] += KW{k}[ke]")
        emit(f"{P}        kn += 1")
        emit(f"{P}    KEV[part] += kn")
    return ["KB", "KEV"] + [f"{a}{k}" for k in range(len(plan.convs)) for a in ("KM", "KP", "KOX", "KOY", "KOF", "KD", "KW")]


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
        out[f"KM{k}"] = np.array([cp.pre_start, cp.n_pre, *cp.dec, *cp.out_xy, cp.cell0], dtype=np.int64)
        out[f"KP{k}"], out[f"KOX{k}"], out[f"KOY{k}"] = cp.ent_ptr, cp.ent_ox, cp.ent_oy
        out[f"KOF{k}"], out[f"KD{k}"], out[f"KW{k}"] = cp.ent_off, cp.ent_delay, cp.ent_w
    return out
