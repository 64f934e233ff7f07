"""CUDA kernels of the event-driven core: two launches per time step.

Every device array of a network is packed into two flat buffers so that a launch passes few
arguments (numba-cuda charges a few microseconds per array argument):

* ``i64`` (int64): a header of mutable run-control slots (``H_*``), the layout (``L_*``: sizes
  and offsets of every packed block), then the integer blocks (population tables, CSR of the
  synapses, spike-source schedule, monitor tables, the spike list of the step, ...);
* ``f64`` (float64): ``dt``, ``params`` (7 x N), ``state`` (3 x N), constant and time-array
  currents, synaptic weights and the ring buffers ``ring[r, slot, neuron]``.

A synapse is one int64 code ``post | (delay * 4 + ring_row) << 32`` plus its float64 weight.

Per step n (schedule of :mod:`spikesim.core.network`):

``neuron_kernel`` (one thread per neuron): inputs (constant current, time-array columns in
column order, ring slot n of each target row, added and cleared) -> state update with the
shared scalar maths -> NaN/inf check -> threshold (or spike-source schedule / counter-based
Poisson draw) -> reset. A spiking neuron appends itself to the step's spike list (an atomic
counter; two lists alternate by step parity), adds its out-degree to the event counter and,
when monitored, writes (step, id) to the spike record.

``deliver_kernel``, two ways of adding each spike's weights into slot (n + delay) of the target's
ring. *Atomic* (large networks): blocks loop over the step's spikes, threads over the spike's
synapses, ``cuda.atomic.add``; cells hit by several spikes of the step are summed in any order.
*Ordered* (``L_EXACT``; the default up to 2e7 synapses, 1e5 neurons): block 0 sorts the step's spike list
(rank by counting), then takes the spikes in ascending id, its threads splitting the spike's
row, with a block barrier between spikes; synapses of one row that hit the same cell
(multapses) are chained on the host so one thread adds them in CSR order. Every ring cell then
sums its inputs in the CPU's order: bit-identical. Then one thread per state
monitor column samples the state (after the reset) when n is a multiple of its ``every``; then
thread 0 stops the run before step n + 1 when the spike record might overflow in it. With
plastic synapses the same thread then applies STDP depression to the synapse it just delivered.

Plastic networks add two launches per step (``potentiate_kernel``, ``plastic_tail_kernel``); the
trace and eligibility decays run in ``neuron_kernel``. Every synapse and trace sees the CPU's
sequence of operations (spikesim.plasticity.stdp), so weights stay bit-identical while spikes are.

A run stops early (``H_STATUS`` != 0, ``H_STOP`` = first step not done) on NaN/inf (the step
is abandoned before propagation, as on the CPU) or when the spike record is nearly full; every
later launch of the chunk then returns at once. No warp intrinsics (the CUDA simulator lacks
them), no fastmath.
"""
from __future__ import annotations

import math

import numpy as np
from numba import cuda

from spikesim.backends.scalar import compile_scalar
from spikesim.neurons.izhikevich import izhikevich_reset, izhikevich_update
from spikesim.neurons.lif import lif_update
from spikesim.plasticity.stdp import (N_RULE_PARAMS, P_A_MINUS, P_A_PLUS, P_DECAY_ELIG, P_DECAY_POST, P_DECAY_PRE,
                                      P_ETA, P_KIND, P_W_MAX, P_W_MIN, RULE_RSTDP, clip_weight)
from spikesim.rng.counter import counter_uniform, splitmix64

STATUS_BUFFER_FULL = 1      # same codes as spikesim.core.plan (a kernel never imports the core)
STATUS_NONFINITE = 2

# ---- i64 header: run control (uploaded and read back once per chunk) --------------------------
H_STATUS, H_STOP, H_BADPOP, H_CNT0, H_CNT1, H_SPIKES, H_EVENTS, H_CAP = range(8)
N_HEADER = 8
# ---- i64 layout: sizes and offsets (uploaded once) ----------------------------------------------
(L_N, L_NPOPS, L_NSLOTS, L_NRINGS, L_SEED, L_NREC, L_ITCOLS,
 O_POPKIND, O_POPSTART, O_POPFLAG, O_POPOF, O_ITPTR, O_ITCOL, O_SRCPTR, O_SRCSTEP, O_SRCCUR, O_INDPTR,
 O_SYN, O_RINGTGT, O_RECVAR, O_RECGID, O_RECEVERY, O_RECCOUNT, O_RECSPIKE, O_SPIKELIST,
 F_PARAMS, F_STATE, F_ICONST, F_ITIME, F_W, F_RING,
 # plasticity (spikesim.plasticity.stdp); packed only when the network has plastic synapses
 L_NRULES, L_NMOD, L_MODLEN, O_SYNRULE, O_SYNPRE, O_POSTPTR, O_POSTSYN, O_MODSYN,
 F_RULES, F_XPRE, F_XPOST, F_ELIG, F_MOD,
 # ordered ("exact") delivery: flag, sorted spike list scratch, multapse chains
 L_EXACT, O_SORTED, O_CHAIN) = range(N_HEADER, N_HEADER + 47)
N_LAYOUT = N_HEADER + 47
F_DT = 0                    # f64[0] = dt
POST_MASK = 0xFFFFFFFF

_dev = cuda.jit(device=True)
_splitmix64 = compile_scalar(splitmix64, _dev)
_uniform = compile_scalar(counter_uniform, _dev, splitmix64=_splitmix64)
_izh_update = compile_scalar(izhikevich_update, _dev)
_izh_reset = compile_scalar(izhikevich_reset, _dev)
_lif_update = compile_scalar(lif_update, _dev)
_clip = compile_scalar(clip_weight, _dev)


@cuda.jit(device=True)
def _plastic_change(f64, i64, syn, r, dw):
    """STDP increment ``dw`` of synapse ``syn`` (rule r): into its eligibility for reward-modulated
    rules, into its clipped weight otherwise (the CPU's order of operations)."""
    base = i64[F_RULES] + r * N_RULE_PARAMS
    if f64[base + P_KIND] == RULE_RSTDP:
        f64[i64[F_ELIG] + syn] += dw
    else:
        o = i64[F_W] + syn
        f64[o] = _clip(f64[o] + dw, f64[base + P_W_MIN], f64[base + P_W_MAX])


@cuda.jit(device=True)
def _plastic_decay(t, f64, i64, n_rules):
    """Plasticity, first part of step n (in the neuron kernel): traces of neuron t and, grid-stride,
    the eligibilities of the reward-modulated synapses decay."""
    N = i64[L_N]
    fr = i64[F_RULES]
    if t < N:
        for r in range(n_rules):
            f64[i64[F_XPRE] + r * N + t] *= f64[fr + r * N_RULE_PARAMS + P_DECAY_PRE]
            f64[i64[F_XPOST] + r * N + t] *= f64[fr + r * N_RULE_PARAMS + P_DECAY_POST]
    o_mod = i64[O_MODSYN]
    o_rule = i64[O_SYNRULE]
    f_elig = i64[F_ELIG]
    for k in range(t, i64[L_NMOD], cuda.gridDim.x * cuda.blockDim.x):
        syn = i64[o_mod + k]
        f64[f_elig + syn] *= f64[fr + i64[o_rule + syn] * N_RULE_PARAMS + P_DECAY_ELIG]


@cuda.jit
def neuron_kernel(step, f64, i64, spk):
    """Inputs, state update, threshold and reset of neuron ``cuda.grid(1)`` at ``step``."""
    i = cuda.grid(1)
    par = step % 2
    if i == 0:
        i64[H_CNT0 + 1 - par] = 0           # the list of step + 1; step - 1's kernels are done
    if i64[H_STATUS] != 0 and step >= i64[H_STOP]:
        return
    n_rules = i64[L_NRULES]
    if n_rules > 0:
        _plastic_decay(i, f64, i64, n_rules)
    N = i64[L_N]
    if i >= N:
        return
    p = i64[i64[O_POPOF] + i]
    kind = i64[i64[O_POPKIND] + p]
    fp = i64[F_PARAMS]
    fs = i64[F_STATE]
    spiked = False
    if kind <= 1:
        # -- inputs, in the CPU order: constant, time-array columns, ring rows --------------------
        cur = f64[i64[F_ICONST] + i]
        ncols = i64[L_ITCOLS]
        if ncols > 0:
            o_col = i64[O_ITCOL]
            base = i64[F_ITIME] + step * ncols
            for k in range(i64[i64[O_ITPTR] + i], i64[i64[O_ITPTR] + i + 1]):
                cur += f64[base + i64[o_col + k]]
        n_slots = i64[L_NSLOTS]
        slot = step % n_slots
        for r in range(i64[L_NRINGS]):      # added unconditionally, as on the CPU (x + 0.0 keeps -0.0 equal)
            idx = i64[F_RING] + (r * n_slots + slot) * N + i
            x = f64[idx]
            f64[idx] = 0.0
            tgt = i64[i64[O_RINGTGT] + r]
            if tgt == 0:
                f64[fs + i] += x
            elif tgt == 1:
                cur += x
            else:
                f64[fs + 2 * N + i] += x
        cur = cur + f64[fs + 2 * N + i]
        # -- state update, NaN check, threshold, reset ---------------------------------------------
        if kind == 0:
            v, u = _izh_update(f64[fs + i], f64[fs + N + i], cur, f64[fp + i], f64[fp + N + i],
                               f64[F_DT], i64[i64[O_POPFLAG] + p])
            f64[fs + 2 * N + i] *= f64[fp + 5 * N + i]
            if not (math.isfinite(v) and math.isfinite(u)):
                cuda.atomic.min(i64, H_BADPOP, p)
                i64[H_STOP] = step
                i64[H_STATUS] = STATUS_NONFINITE
                return
            if v >= f64[fp + 4 * N + i]:
                spiked = True
                v, u = _izh_reset(v, u, f64[fp + 2 * N + i], f64[fp + 3 * N + i])
            f64[fs + i] = v
            f64[fs + N + i] = u
        else:
            v, ref = _lif_update(f64[fs + i], f64[fs + N + i], cur, f64[fp + i], f64[fp + N + i],
                                 f64[fp + 2 * N + i], f64[fp + 3 * N + i])
            f64[fs + 2 * N + i] *= f64[fp + 5 * N + i]
            if not math.isfinite(v):
                cuda.atomic.min(i64, H_BADPOP, p)
                i64[H_STOP] = step
                i64[H_STATUS] = STATUS_NONFINITE
                return
            if v >= f64[fp + 4 * N + i]:
                spiked = True
                v = f64[fp + 3 * N + i]
                ref = f64[fp + 6 * N + i]
            f64[fs + i] = v
            f64[fs + N + i] = ref
    elif kind == 2:
        # -- spike source: this neuron's own sorted schedule and read pointer ---------------------
        o_cur = i64[O_SRCCUR] + i
        o_step = i64[O_SRCSTEP]
        ptr = i64[o_cur]
        end = i64[i64[O_SRCPTR] + i + 1]
        while ptr < end and i64[o_step + ptr] < step:
            ptr += 1
        if ptr < end and i64[o_step + ptr] == step:
            spiked = True
            ptr += 1
        i64[o_cur] = ptr
    else:
        # -- Poisson: the counter-based stream keyed (seed, population, step, index in population)
        s = i64[i64[O_POPSTART] + p]
        x = _uniform(np.uint64(i64[L_SEED]), np.uint64(p), np.uint64(step), np.uint64(i - s))
        if x < f64[fp + i]:
            spiked = True
    if spiked:
        k = cuda.atomic.add(i64, H_CNT0 + par, 1)
        i64[i64[O_SPIKELIST] + par * N + k] = i
        deg = i64[i64[O_INDPTR] + i + 1] - i64[i64[O_INDPTR] + i]
        if deg > 0:
            cuda.atomic.add(i64, H_EVENTS, deg)
        if i64[i64[O_RECSPIKE] + i] != 0:
            m = cuda.atomic.add(i64, H_SPIKES, 1)
            spk[m] = step
            spk[i64[H_CAP] + m] = i


@cuda.jit(device=True)
def _depress(f64, i64, syn, post, N):
    """STDP depression of ``syn`` (if plastic) after its presynaptic spike."""
    r = i64[i64[O_SYNRULE] + syn]
    if r >= 0:
        x = f64[i64[F_XPOST] + r * N + post]
        _plastic_change(f64, i64, syn, r, -(f64[i64[F_RULES] + r * N_RULE_PARAMS + P_A_MINUS] * x))


@cuda.jit(device=True)
def _deliver_ordered(step, f64, i64, par, n_spk):
    """Block 0 of ``deliver_kernel`` in ordered mode: the CPU's summation order in every ring cell."""
    N = i64[L_N]
    tid = cuda.threadIdx.x
    bdim = cuda.blockDim.x
    o_list = i64[O_SPIKELIST] + par * N
    o_sorted = i64[O_SORTED]
    for k in range(tid, n_spk, bdim):           # rank sort: spike ids are distinct
        g = i64[o_list + k]
        rank = 0
        for j in range(n_spk):
            if i64[o_list + j] < g:
                rank += 1
        i64[o_sorted + rank] = g
    cuda.syncthreads()
    n_slots = i64[L_NSLOTS]
    now = step % n_slots
    o_ptr = i64[O_INDPTR]
    o_syn = i64[O_SYN]
    o_chain = i64[O_CHAIN]
    f_w = i64[F_W]
    f_ring = i64[F_RING]
    plastic = i64[L_NRULES] > 0
    for k in range(n_spk):
        g = i64[o_sorted + k]
        for syn in range(i64[o_ptr + g] + tid, i64[o_ptr + g + 1], bdim):
            ch = i64[o_chain + syn]             # (next synapse of the same cell + 1) * 2 + is_first
            if ch & 1:
                code = i64[o_syn + syn]
                post = code & POST_MASK
                dr = code >> 32
                slot = now + (dr >> 2)
                if slot >= n_slots:
                    slot -= n_slots
                idx = f_ring + ((dr & 3) * n_slots + slot) * N + post
                x = f64[idx] + f64[f_w + syn]
                if plastic:
                    _depress(f64, i64, syn, post, N)
                nxt = (ch >> 1) - 1
                while nxt >= 0:
                    x = x + f64[f_w + nxt]
                    if plastic:
                        _depress(f64, i64, nxt, post, N)
                    nxt = (i64[o_chain + nxt] >> 1) - 1
                f64[idx] = x
        cuda.syncthreads()


@cuda.jit
def deliver_kernel(step, f64, i64, rec):
    """Scatter the step's spikes into the rings (atomic adds), sample state monitors, check the
    spike-record capacity for the next step."""
    if i64[H_STATUS] != 0 and step >= i64[H_STOP]:
        return
    N = i64[L_N]
    par = step % 2
    n_spk = i64[H_CNT0 + par]
    n_slots = i64[L_NSLOTS]
    tid = cuda.threadIdx.x
    bdim = cuda.blockDim.x
    o_list = i64[O_SPIKELIST] + par * N
    o_ptr = i64[O_INDPTR]
    o_syn = i64[O_SYN]
    f_w = i64[F_W]
    f_ring = i64[F_RING]
    now = step % n_slots
    n_rules = i64[L_NRULES]
    exact = i64[L_EXACT] != 0
    if exact and cuda.blockIdx.x == 0:
        _deliver_ordered(step, f64, i64, par, n_spk)
    for k in range(cuda.blockIdx.x, 0 if exact else n_spk, cuda.gridDim.x):
        g = i64[o_list + k]
        for syn in range(i64[o_ptr + g] + tid, i64[o_ptr + g + 1], bdim):
            code = i64[o_syn + syn]
            post = code & POST_MASK
            dr = code >> 32
            slot = now + (dr >> 2)          # 1 <= delay < n_slots: one wrap at most, no 64-bit modulo
            if slot >= n_slots:
                slot -= n_slots
            cuda.atomic.add(f64, f_ring + ((dr & 3) * n_slots + slot) * N + post, f64[f_w + syn])
            if n_rules > 0:                 # depression, after the old weight went out (same thread)
                _depress(f64, i64, syn, post, N)
    t = cuda.grid(1)
    n_threads = cuda.gridDim.x * bdim
    fs = i64[F_STATE]
    o_count = i64[O_RECCOUNT]
    for c in range(t, i64[L_NREC], n_threads):
        if step % i64[i64[O_RECEVERY] + c] == 0:
            row = i64[o_count + c]
            rec[row, c] = f64[fs + i64[i64[O_RECVAR] + c] * N + i64[i64[O_RECGID] + c]]
            i64[o_count + c] = row + 1
    if t == 0 and i64[H_SPIKES] + N > i64[H_CAP]:
        i64[H_STOP] = step + 1
        i64[H_STATUS] = STATUS_BUFFER_FULL


@cuda.jit
def potentiate_kernel(step, f64, i64):
    """Plasticity of step n, after every depression: potentiation of the plastic synapses onto each
    neuron that spiked (blocks loop over the spikes, threads over the incoming synapses)."""
    if i64[H_STATUS] != 0 and step >= i64[H_STOP]:
        return
    N = i64[L_N]
    par = step % 2
    o_list = i64[O_SPIKELIST] + par * N
    o_ptr = i64[O_POSTPTR]
    o_psyn = i64[O_POSTSYN]
    o_rule = i64[O_SYNRULE]
    o_pre = i64[O_SYNPRE]
    fr = i64[F_RULES]
    f_xpre = i64[F_XPRE]
    for k in range(cuda.blockIdx.x, i64[H_CNT0 + par], cuda.gridDim.x):
        g = i64[o_list + k]
        for j in range(i64[o_ptr + g] + cuda.threadIdx.x, i64[o_ptr + g + 1], cuda.blockDim.x):
            syn = i64[o_psyn + j]
            r = i64[o_rule + syn]
            _plastic_change(f64, i64, syn, r, f64[fr + r * N_RULE_PARAMS + P_A_PLUS] * f64[f_xpre + r * N + i64[o_pre + syn]])


@cuda.jit
def plastic_tail_kernel(step, f64, i64):
    """Plasticity of step n, last part: traces of the neurons that spiked += 1 (every rule), then
    the modulated weight change w <- clip(w + eta M(n) c) of the reward-modulated synapses."""
    if i64[H_STATUS] != 0 and step >= i64[H_STOP]:
        return
    N = i64[L_N]
    par = step % 2
    t = cuda.grid(1)
    n_threads = cuda.gridDim.x * cuda.blockDim.x
    n_rules = i64[L_NRULES]
    o_list = i64[O_SPIKELIST] + par * N
    for k in range(t, i64[H_CNT0 + par], n_threads):
        g = i64[o_list + k]
        for r in range(n_rules):
            f64[i64[F_XPRE] + r * N + g] += 1.0
            f64[i64[F_XPOST] + r * N + g] += 1.0
    o_mod = i64[O_MODSYN]
    o_rule = i64[O_SYNRULE]
    fr = i64[F_RULES]
    f_mod = i64[F_MOD]
    n_len = i64[L_MODLEN]
    f_w = i64[F_W]
    f_elig = i64[F_ELIG]
    for k in range(t, i64[L_NMOD], n_threads):
        syn = i64[o_mod + k]
        r = i64[o_rule + syn]
        base = fr + r * N_RULE_PARAMS
        dw = f64[base + P_ETA] * f64[f_mod + r * n_len + step] * f64[f_elig + syn]
        f64[f_w + syn] = _clip(f64[f_w + syn] + dw, f64[base + P_W_MIN], f64[base + P_W_MAX])
