"""The model-independent CUDA kernels of one step, the layout of the two flat device buffers,
and the device functions the generated neuron kernel (:mod:`.driver`) calls.

Every array of a network lives in one ``f64`` and one ``i64`` device buffer, so each kernel
takes the same few arguments whatever the network (cheap launches, one compiled signature).
``i64`` starts with a run-control header (uploaded and read back once per chunk), then fixed
layout slots (sizes, and offsets of the shared tables), then one slot per population array
(assigned by :func:`spikesim.backends.numba_cuda.driver.pop_slots`). ``f64[0]`` is ``dt``.

Kernels of step n, in launch order:

1. the generated ``neuron_kernel`` (one thread per neuron of every population): ring slots ->
   input current -> model update -> synapse updates -> threshold -> reset, spike list, spike
   record; with plasticity also the decay of the rules' traces;
2. :func:`deliver_kernel`: each spike adds its synapses' weights to their ring cells (ordered:
   the CPU's summation order; or atomic), synaptic-event count, state monitors, spike-record
   capacity check;
3. with plasticity, the generated rule kernels of :mod:`.driver` (``before`` / ``on_pre`` /
   ``on_post`` hooks, trace increments, ``after`` hooks and the synaptic-variable monitors).

Ring cell of synapse ``syn`` (the plan's slot-major ring): ``F_RING + slot * ring_cells +
cell``, ``cell`` = its receiver's offset + the local postsynaptic index; delay d and cell are
packed in one int64 per synapse: ``d << 40 | cell``. Short-term plasticity: the neuron kernel
updates the Tsodyks-Markram state of a spiking neuron's slots, the delivery multiplies each
weight by its slot's r of the step.

This module imports nothing from :mod:`spikesim.core` (status codes from
:mod:`spikesim.backends.contract`).
"""
from __future__ import annotations

from numba import cuda

from spikesim.backends.contract import STATUS_BUFFER_FULL
from spikesim.backends.scalar import compile_scalar
from spikesim.rng.counter import binomial_from_uniform, counter_normal, counter_uniform, splitmix64
from spikesim.rng.ziggurat import counter_normal_ziggurat, step_key, ziggurat_from_key
from spikesim.synapses.stp import tsodyks_markram_spike

# ---- i64 header: run control (uploaded and read back once per chunk) --------------------------
H_STATUS, H_STOP, H_BADPOP, H_CNT0, H_CNT1, H_SPIKES, H_EVENTS, H_CAP = range(8)
N_HEADER = 8
# ---- i64 fixed layout: sizes and offsets of the shared tables (uploaded once) -------------------
(L_N, L_NSLOTS, L_SEED, L_NREC, L_NRECD, L_RINGCELLS, L_EXACT, L_NSTP,
 O_INDPTR, O_SYN, O_CHAIN, O_SORTED, O_SPIKELIST, O_RECVOFF, O_RECIDX, O_RECCOLS, O_RECEVERY, O_RECCOUNT,
 O_RECSPIKE, O_SRCPTR, O_SRCSTEP, O_SRCCUR, O_POST, O_SYNRULE, O_SYNPRE, O_POSTPTR, O_POSTSYN, O_SYNLOCAL,
 O_STPSLOT, O_STPPTR, O_STPLIST, O_PINK,
 F_W, F_RING, F_STP, F_STPPAR, F_PINP, F_PINW) = range(N_HEADER, N_HEADER + 38)
N_LAYOUT = N_HEADER + 38        # the population (and plasticity-rule) slots follow
F_DT = 0                        # f64[0] = dt
CELL_BITS = 40
CELL_MASK = (1 << CELL_BITS) - 1

_dev = cuda.jit(device=True)
_splitmix64 = compile_scalar(splitmix64, _dev)
uniform = compile_scalar(counter_uniform, _dev, splitmix64=_splitmix64)
normal = compile_scalar(counter_normal, _dev, counter_uniform=uniform)
zkey = compile_scalar(step_key, _dev, splitmix64=_splitmix64)
zfrom = compile_scalar(ziggurat_from_key, _dev, splitmix64=_splitmix64)
znormal = compile_scalar(counter_normal_ziggurat, _dev, step_key=zkey, ziggurat_from_key=zfrom)
binomial = compile_scalar(binomial_from_uniform, _dev)
_stp_spike = compile_scalar(tsodyks_markram_spike, _dev)


@cuda.jit(device=True)
def stp_on_spike(f64, i64, g, step, dt):
    """Short-term plasticity at the spike of neuron g in ``step``: the Tsodyks-Markram state
    (u, x, step of the last spike, r) of each of its slots, as the CPU's propagation does it."""
    n = i64[L_NSTP]
    fs = i64[F_STP]
    fp = i64[F_STPPAR]
    o_list = i64[O_STPLIST]
    for j in range(i64[i64[O_STPPTR] + g], i64[i64[O_STPPTR] + g + 1]):
        sl = i64[o_list + j]
        u, x, r = _stp_spike(f64[fs + sl], f64[fs + n + sl], (step - f64[fs + 2 * n + sl]) * dt,
                             f64[fp + sl], f64[fp + n + sl], f64[fp + 2 * n + sl])
        f64[fs + sl] = u
        f64[fs + n + sl] = x
        f64[fs + 2 * n + sl] = step
        f64[fs + 3 * n + sl] = r


@cuda.jit(device=True)
def _weight(f64, i64, syn):
    """The weight synapse ``syn`` delivers: w, times r of its short-term-plasticity slot if any."""
    w = f64[i64[F_W] + syn]
    n = i64[L_NSTP]
    if n > 0:
        sl = i64[i64[O_STPSLOT] + syn]
        if sl >= 0:
            w = w * f64[i64[F_STP] + 3 * n + sl]
    return w


@cuda.jit(device=True)
def _cell(i64, code, now, n_slots):
    """Index into f64 of the ring cell a synapse code (delay << 40 | cell) hits."""
    slot = now + (code >> CELL_BITS)    # 1 <= delay < n_slots: one wrap at most, no 64-bit modulo
    if slot >= n_slots:
        slot -= n_slots
    return i64[F_RING] + slot * i64[L_RINGCELLS] + (code & CELL_MASK)


@cuda.jit(device=True)
def _deliver_ordered(step, f64, i64, par, n_spk):
    """Block 0 of ``deliver_kernel`` in ordered mode: the CPU's summation order in every ring cell
    (spikes by ascending neuron id, each row in CSR order; multapses hitting one cell are chained
    so that one thread adds them in order)."""
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
    for k in range(n_spk):
        g = i64[o_sorted + k]
        for syn in range(i64[o_ptr + g] + tid, i64[o_ptr + g + 1], bdim):
            ch = i64[o_chain + syn]             # (next synapse of the same cell + 1) * 2 + is_first
            if ch & 1:
                idx = _cell(i64, i64[o_syn + syn], now, n_slots)
                x = f64[idx] + _weight(f64, i64, syn)
                nxt = (ch >> 1) - 1
                while nxt >= 0:
                    x = x + _weight(f64, i64, nxt)
                    nxt = (i64[o_chain + nxt] >> 1) - 1
                f64[idx] = x
        cuda.syncthreads()


@cuda.jit
def deliver_kernel(step, f64, i64, rec):
    """Scatter the step's spikes into the rings, count the synaptic events, sample the state
    monitors, check the spike-record capacity for the next step."""
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
    now = step % n_slots
    exact = i64[L_EXACT] != 0
    if exact and cuda.blockIdx.x == 0:
        _deliver_ordered(step, f64, i64, par, n_spk)
    for k in range(cuda.blockIdx.x, 0 if exact else n_spk, cuda.gridDim.x):
        g = i64[o_list + k]
        for syn in range(i64[o_ptr + g] + tid, i64[o_ptr + g + 1], bdim):
            cuda.atomic.add(f64, _cell(i64, i64[o_syn + syn], now, n_slots), _weight(f64, i64, syn))
    t = cuda.grid(1)
    n_threads = cuda.gridDim.x * bdim
    for k in range(t, n_spk, n_threads):
        g = i64[o_list + k]
        deg = i64[o_ptr + g + 1] - i64[o_ptr + g]
        if deg > 0:
            cuda.atomic.add(i64, H_EVENTS, deg)
    sample_monitors(step, f64, i64, rec, t, n_threads, 0, i64[L_NRECD])
    if t == 0 and i64[H_SPIKES] + N > i64[H_CAP]:
        i64[H_STOP] = step + 1
        i64[H_STATUS] = STATUS_BUFFER_FULL


@cuda.jit(device=True)
def sample_monitors(step, f64, i64, rec, t, n_threads, k0, k1):
    """Sample the monitor columns ``i64[O_RECCOLS + k]``, k in [k0, k1), that are due this step
    (neuron state in the delivery kernel; with plasticity, synaptic variables in the last
    plasticity kernel of the step)."""
    o_count = i64[O_RECCOUNT]
    o_cols = i64[O_RECCOLS]
    for k in range(k0 + t, k1, n_threads):
        c = i64[o_cols + k]
        if step % i64[i64[O_RECEVERY] + c] == 0:
            row = i64[o_count + c]
            rec[row, c] = f64[i64[i64[O_RECIDX] + c]]
            i64[o_count + c] = row + 1
