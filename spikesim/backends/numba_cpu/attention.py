"""Compiled attention phase (:mod:`spikesim.core.attention`) for the generated CPU loop: the
same lists, order choice, accumulations and delivery as the NumPy reference
(:mod:`spikesim.backends.reference.attention`), with the intermediate in a dense scratch
matrix whose non-zeros are listed (touched and cleared entry by entry), so a head costs its
accumulations, not N^2 or d^2.

:func:`attention_step` is called by the generated ``run_steps`` once per attention after the
propagation of the step's spikes (``spike_list[:n_spk]``: global ids, ascending within each
population).
"""
from __future__ import annotations

import numba
import numpy as np

from spikesim.backends.reference.attention import estimated_costs, k_feature_lists, slice_order
from spikesim.backends.numba_cpu.bits import popcount64
from spikesim.backends.scalar import compile_scalar
from spikesim.backends.reference.attention import I_CELL0, I_D, I_DELAY, I_H, I_MODE, I_N

_inline = numba.njit(inline="always", cache=True)
_estimated_costs = compile_scalar(estimated_costs, _inline)
_slice_order = compile_scalar(slice_order, _inline, estimated_costs=_estimated_costs)
_k_feature_lists = compile_scalar(k_feature_lists, _inline)

#: the arrays of an Attention the kernel takes, in order (``A<name><a>`` in the generated loop)
ARRAYS = ("I", "F", "ops", "lp", "li", "fill", "colk", "ktok", "M", "cnt", "lst", "bits", "hb", "hm", "hc", "hn",
          "hk", "hs", "out", "hd")


@numba.njit(cache=True, inline="always")
def _token(g, t, tb, dim):
    """(token, first neuron of the next token, feature) of local neuron ``g`` of a token-major
    population, walking forward from the previous spike's (t, tb) (spikes ascending: no division)."""
    while g >= tb:
        t += 1
        tb += dim
    return t, tb, g - tb + dim


@numba.njit(cache=True, inline="always")
def _deliver(cells, counts, scale):
    """``cells[k] += counts[k] * scale`` for every entry (zeros too: the reference's order and
    rounding), then clear ``counts``. Equal-length slices."""
    for k in range(counts.size):
        cells[k] += counts[k] * scale
        counts[k] = 0


@numba.njit(cache=True, inline="always")
def _lists(spike_list, n_spk, start, n, dim, d, indptr, idx, fill, hd):
    """CSR lists over (head, token) of the population [start, start + n dim) among the step's
    spikes (ascending within a population, so its spikes are one run of the list and each
    list's features come out ascending). ``hd[j]``: the head of feature j (no division per spike)."""
    lo = np.searchsorted(spike_list[:n_spk], start)
    hi = np.searchsorted(spike_list[:n_spk], start + n * dim)
    rows = indptr.size - 1
    for r in range(rows + 1):
        indptr[r] = 0
    t, tb = 0, dim                                # token of the spike, first neuron of the next token
    for q in range(lo, hi):
        t, tb, j = _token(spike_list[q] - start, t, tb, dim)
        indptr[hd[j] * n + t + 1] += 1
    for r in range(rows):
        indptr[r + 1] += indptr[r]
        fill[r] = indptr[r]
    t, tb = 0, dim
    for q in range(lo, hi):
        t, tb, j = _token(spike_list[q] - start, t, tb, dim)
        h = hd[j]
        r = h * n + t
        idx[fill[r]] = j - h * d
        fill[r] += 1


@numba.njit(cache=True, inline="always")
def _slice(g, n, d, qp, qi, kp, ki, vp, vi, mode, out, colk, fill, ktok, M, cnt, lst, bits):
    """Head g: out[g] += Q K^T V (integer counts; out[g] zero on entry). Scratch M, cnt zero on entry and exit.
    Returns (order used, accumulations)."""
    base = g * n
    use, p0, p1 = _slice_order(base, n, d, qp, qi, kp, ki, vp, mode, colk)
    ops = 0
    if use == 0:
        # bit-parallel K^T V: the tokens where feature i of K (j of V) fired as bit masks, and
        # M[i, j] = (K^T V)[i, j] = popcount(K_i & V_j); cnt[i] = the non-zeros of row i
        nw = (n + 63) >> 6
        kb, vb = bits[0], bits[1]
        for t in range(n):
            w, bit = t >> 6, np.uint64(1) << np.uint64(t & 63)
            for a in range(kp[base + t], kp[base + t + 1]):
                kb[ki[a], w] |= bit
            for b in range(vp[base + t], vp[base + t + 1]):
                vb[vi[b], w] |= bit
        for i in range(d):
            fired = np.uint64(0)
            for w in range(nw):
                fired |= kb[i, w]
            if fired == 0:
                continue
            c = 0
            for j in range(d):
                s = np.uint64(0)
                for w in range(nw):
                    s += popcount64(kb[i, w] & vb[j, w])
                M[i, j] = s
                c += s != 0
            cnt[i] = c
        ops += p0                                 # the pairs of spikes counted, as the reference does
        # every Q spike (m, i) adds row i (its zeros too: one contiguous run of d)
        for m in range(n):
            o = out[g, m]
            for a in range(qp[base + m], qp[base + m + 1]):
                i = qi[a]
                c = cnt[i]
                if c:
                    row = M[i]
                    for j in range(d):
                        o[j] += row[j]
                ops += c
        for i in range(d):
            if cnt[i]:
                for j in range(d):
                    M[i, j] = 0
            cnt[i] = 0
            for w in range(nw):
                kb[i, w] = 0
                vb[i, w] = 0
    else:
        _k_feature_lists(base, n, d, kp, ki, colk, fill, ktok)
        # M[t, m] = (Q K^T)[m, t] from pairs of spikes of the same feature; lst[t] = its non-zero m
        for m in range(n):
            for a in range(qp[base + m], qp[base + m + 1]):
                i = qi[a]
                for b in range(colk[i], colk[i + 1]):
                    t = ktok[b]
                    if M[t, m] == 0:
                        lst[t, cnt[t]] = m
                        cnt[t] += 1
                    M[t, m] += 1
        ops += p1
        # every V spike (t, j) adds the non-zeros of column t of A
        for t in range(n):
            c = cnt[t]
            for b in range(vp[base + t], vp[base + t + 1]):
                j = vi[b]
                for r in range(c):
                    m = lst[t, r]
                    out[g, m, j] += M[t, m]
                ops += c
        for t in range(n):
            for r in range(cnt[t]):
                M[t, lst[t, r]] = 0
            cnt[t] = 0
    return use, ops


#: token decoding by multiplication: t = (g * ceil(2^40 / dim)) >> 40 is g // dim for g dim < 2^40
_DIV_SHIFT = 40


@numba.njit(cache=True, inline="always")
def _masks(spike_list, lo, hi, start, dim, nw, mask, magic):
    """One pass over a population's spikes (``spike_list[lo:hi]``, ascending, so token-major):
    bit t of mask word ``[j nw + t // 64]`` for the spike of token t, feature j (of the layer).
    ``magic`` > 0: the token by multiplication (``_DIV_SHIFT``), else by walking the tokens."""
    if magic > 0:
        mu, sh, du = np.uint64(magic), np.uint64(_DIV_SHIFT), np.uint64(dim)
        for q in range(lo, hi):
            g = np.uint64(spike_list[q] - start)
            t = (g * mu) >> sh
            mask[(g - t * du) * np.uint64(nw) + (t >> np.uint64(6))] |= np.uint64(1) << (t & np.uint64(63))
        return
    t, tb = 0, dim
    for q in range(lo, hi):
        t, tb, j = _token(spike_list[q] - start, t, tb, dim)
        mask[j * nw + (t >> 6)] |= np.uint64(1) << np.uint64(t & 63)


@numba.njit(cache=True, inline="always")
def _all_heads_order0(I, ops, spike_list, n_spk, hd, hb, hm, hc, hn, hk, hs, out, ring, base, scale):
    """Q K^T V of every head in one pass over each population's spikes when every head takes
    order 0 (the order each head would choose in :func:`_slice`, from the same counts), and its
    delivery: K's and V's token masks per feature, (K^T V)[i, j] = popcount(K_i & V_j) per head
    (whose sum is the head's stage-1 pair count P0, and the masks' popcounts K's spikes per
    feature and V's per head), then token by token, every Q spike (feature i of head h) adds row
    i of its head to the token's row of counts (``out``'s first ``dim`` entries, which stay in
    L1), delivered as ``ring[base + m dim + k] += count * scale`` (every entry, zeros too, in the
    order of :func:`attention_step`'s delivery) and cleared. Counts the same accumulations as
    :func:`_slice`. Returns False (scratch left zero, nothing delivered) when some head takes
    order 1."""
    n, dim, heads = I[I_N], I[I_D], I[I_H]
    mode = I[I_MODE]
    if mode > 0:
        return False
    d = dim // heads
    nw = (n + 63) >> 6
    kb, vb = hb[0].reshape(-1), hb[1].reshape(-1)
    kf, cf, mf, of = hk.reshape(-1), hc.reshape(-1), hm.reshape(-1), out.reshape(-1)
    sl = spike_list[:n_spk]
    q0, q1 = np.searchsorted(sl, I[0]), np.searchsorted(sl, I[0] + n * dim)
    magic = (2 ** _DIV_SHIFT + dim - 1) // dim if n * dim * dim < 2 ** _DIV_SHIFT else 0
    _masks(spike_list, np.searchsorted(sl, I[1]), np.searchsorted(sl, I[1] + n * dim), I[1], dim, nw, kb, magic)
    _masks(spike_list, np.searchsorted(sl, I[2]), np.searchsorted(sl, I[2] + n * dim), I[2], dim, nw, vb, magic)
    for i in range(dim):                          # K's spikes per feature
        c = 0
        for w in range(nw):
            c += np.int64(popcount64(kb[i * nw + w]))
        kf[i] = c
    du = np.uint64(d)
    p0_all = 0
    ok = True
    for h in range(heads):
        vo = np.uint64(h * d)
        p0 = 0
        for i in range(h * d, (h + 1) * d):      # feature i of the layer (head h)
            if kf[i] == 0:
                continue
            r = i * d
            c = 0
            if nw == 1:                           # unsigned offsets, as in the row add below
                ki, ru = kb[i], np.uint64(r)
                for j in range(du):
                    s = np.int64(popcount64(ki & vb[vo + j]))
                    mf[ru + j] = s
                    c += s != 0
                    p0 += s
            else:
                for j in range(d):
                    s = 0
                    for w in range(nw):
                        s += np.int64(popcount64(kb[i * nw + w] & vb[(h * d + j) * nw + w]))
                    mf[r + j] = s
                    c += s != 0
                    p0 += s
            cf[i] = c
        p0_all += p0
        hs[h, 0] = p0
    if mode < 0:                                  # the order each head would choose
        nq = hn                                   # scratch: Q's spikes per head
        t, tb = 0, dim                            # Q's pairs with K spikes of the same feature
        for q in range(q0, q1):
            t, tb, j = _token(spike_list[q] - I[0], t, tb, dim)
            h = hd[j]
            hs[h, 1] += kf[j]
            nq[h] += 1
        for h in range(heads):
            nv = 0                                # V's spikes of head h
            for j in range(h * d * nw, (h + 1) * d * nw):
                nv += np.int64(popcount64(vb[j]))
            e0, e1 = _estimated_costs(hs[h, 0], hs[h, 1], nq[h], nv, n, d)
            ok = ok and e0 <= e1
        nq[:] = 0
    if ok:
        acc = p0_all
        tok = of[:dim]                            # one token's counts (zero on entry and exit)
        q = q0
        for t in range(n):
            tb = (t + 1) * dim                    # Q's spikes of token t: spike_list[q] - I[0] < tb
            while q < q1 and spike_list[q] - I[0] < tb:
                j = spike_list[q] - I[0] - tb + dim
                c = cf[j]
                if c:
                    # unsigned offsets: no negative-index wraparound, so LLVM vectorizes the row add
                    ob, rb = np.uint64(hd[j] * d), np.uint64(j * d)
                    for k in range(du):
                        tok[ob + k] += mf[rb + k]
                acc += c
                q += 1
            _deliver(ring[base + t * dim:base + (t + 1) * dim], tok, scale)
        ops[0] += acc
        ops[1] += heads
    for i in range(heads * d):
        if cf[i]:
            mf[i * d:(i + 1) * d] = 0
            cf[i] = 0
    kb[:] = 0
    vb[:] = 0
    kf[:] = 0
    hs[:] = 0
    return ok


@numba.njit(cache=True, nogil=True)
def attention_step(I, F, ops, lp, li, fill, colk, ktok, M, cnt, lst, bits, hb, hm, hc, hn, hk, hs, out, hd, spike_list,
                   n_spk, ring, slot, n_slots, ring_cells):
    """One attention's phase of a step: Q K^T V per head (all heads in one pass when each takes
    order 0, else lists and head by head), delivery into the ring slot ``slot + delay`` of the
    target's one-step current; ``ops``: accumulations, heads per order."""
    n, dim, heads = I[I_N], I[I_D], I[I_H]
    d = dim // heads
    pt = slot + I[I_DELAY]
    if pt >= n_slots:
        pt -= n_slots
    base = pt * ring_cells + I[I_CELL0]
    scale = F[0]
    if _all_heads_order0(I, ops, spike_list, n_spk, hd, hb, hm, hc, hn, hk, hs, out, ring, base, scale):
        return                                    # computed and delivered
    for x in range(3):                            # I[0], I[1], I[2]: first neuron of Q, K, V
        _lists(spike_list, n_spk, I[x], n, dim, d, lp[x], li[x], fill, hd)
    for g in range(heads):
        use, c = _slice(g, n, d, lp[0], li[0], lp[1], li[1], lp[2], li[2], I[I_MODE], out, colk, fill, ktok, M,
                        cnt, lst, bits)
        ops[0] += c
        ops[1 + use] += 1
    for m in range(n):                            # token by token: the target's neurons in order
        row = base + m * dim
        for g in range(heads):
            _deliver(ring[row + g * d:row + (g + 1) * d], out[g, m], scale)


def attention_arrays(plan) -> dict[str, np.ndarray]:
    """``A<name><a>`` -> the arrays of attention a (the kernel's arguments)."""
    return {f"A{name}{a}": getattr(at, name) for a, at in enumerate(plan.attentions) for name in ARRAYS}


def emit_attentions(emit, plan, imports: set) -> list[str]:
    """The generated loop's calls (one per attention, in order); returns their argument names."""
    imports.add("from spikesim.backends.numba_cpu.attention import attention_step as _attention_step")
    args = []
    for a in range(len(plan.attentions)):
        names = [f"A{x}{a}" for x in ARRAYS]
        emit(f"        _attention_step({', '.join(names)}, spike_list, n_spk, ring, slot, n_slots, ring_cells)")
        args += names
    return args
