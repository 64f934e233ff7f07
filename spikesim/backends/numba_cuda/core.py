"""CUDA backend of the event-driven core (numba-cuda): public driver of the kernels.

Layers: :class:`spikesim.core.network.Network` (validates) -> :class:`CudaRunner` (packs the plan
once into two flat device buffers, keeps them on the device across chunks and runs, launches two
kernels per step, copies the monitors back once per chunk) -> the neuron kernel generated for the
network's models (:mod:`.driver`, from the same emission code as the CPU loop) and the
model-independent delivery / plasticity kernels (:mod:`.kernels`).

Exactness against the CPU backends. Per-neuron arithmetic is the same sequence of IEEE
double-precision + and * as in the generated CPU loop (the models' own scalar functions, the
CPU's order of the input current terms; FMA contraction is switched off, see :mod:`.strict_fp`)
and random numbers come from the same counter-based streams, so a neuron that receives the same
ring-buffer input computes bit-identical state. Two caveats on a real GPU (not under the
simulator, which runs the device code as Python): functions such as ``math.exp`` / ``log`` /
``cos`` / ``pow`` evaluated *in the step* (Hodgkin-Huxley's rates, the Box-Muller transform of
``GaussianCurrent``, Tsodyks-Markram recovery, PoissonInput's binomial) come from libdevice,
which can differ from the CPU's libm in the last bit;
decay factors and other ``derived`` values are computed on the host, so LIF, Izhikevich, QIF and
the exponential / alpha / conductance synapses are unaffected. The ring buffer is where order
matters: when several spikes of one step reach the same (receiver, delay slot, neuron) cell, the
CPU adds them in ascending spike id, CSR order within a row. ``DELIVERY``:

* ``"exact"``: block 0 of the delivery kernel sorts the step's spikes and delivers them one
  after the other (its threads split each row; multapses hitting one cell are chained so one
  thread adds them in order): the CPU's order in every cell, bit-identical spikes, state and
  learned weights. Throughput is one multiprocessor's.
* ``"atomic"``: every block delivers, ``cuda.atomic.add``; a cell hit by several spikes of one
  step may differ in its last bits (about 1e-16 relative per add). Spike trains stay identical
  unless a membrane potential sits within that rounding of the threshold; chaotic networks run
  long enough eventually diverge, as between any two compilers. Networks whose cells get at most
  one spike per step are still bit-identical.
* ``"auto"`` (default; env ``SPIKESIM_CUDA_DELIVERY``): exact up to ``EXACT_MAX_SYNAPSES`` (2e7)
  synapses and ``EXACT_MAX_NEURONS`` (1e5) neurons, atomic above.
Recorded spikes are sorted by (step, neuron) on the host once per chunk, so their order is
the CPU's. Plastic synapses (STDP, reward-modulated STDP) follow the CPU's per-synapse sequence
of operations, so learned weights are bit-identical as long as the spikes are. When a state
variable becomes NaN/inf the run stops at that step like the CPU's (same status, population and
step, same recording); the state left at that step may differ (other populations may have been
updated and reset in it).

Launches per step: two (neurons; delivery + monitors), two more with plastic synapses (potentiation,
traces), two more with continuous projections (ring input, couplings; before the neurons).

Module constants ``BLOCK`` / ``DELIVER_BLOCK`` (threads per block), ``MAX_BLOCKS`` (grid cap of
the delivery and plasticity kernels), ``CHECK_EVERY`` (steps between host checks of the stop
flag) and ``DELIVERY`` are read when a runner is made or run, so tests can patch them small to
exercise multi-block paths.
"""
from __future__ import annotations

import math
import os

import numpy as np

from spikesim.backends.contract import (C_BAD_POP, C_EVENTS, C_SPIKES, C_SRC0, STATUS_BUFFER_FULL, STATUS_DONE,
                                        STATUS_NONFINITE)

BLOCK = 128            # threads per block of the neuron and plasticity kernels
DELIVER_BLOCK = 512    # threads per block of the delivery kernel (ordered delivery runs in one block)
MAX_BLOCKS = 4096
CHECK_EVERY = 1024
# ring-buffer delivery: "exact" (CPU summation order, one block), "atomic" (all blocks, order-free
# float sums) or "auto" (exact up to EXACT_MAX_SYNAPSES synapses and EXACT_MAX_NEURONS neurons: the
# ordered path sorts each step's spikes by counting, O(spikes^2) per step); env SPIKESIM_CUDA_DELIVERY
DELIVERY = os.environ.get("SPIKESIM_CUDA_DELIVERY", "auto")
EXACT_MAX_SYNAPSES = 20_000_000
EXACT_MAX_NEURONS = 100_000
# real GPU: launch the compiled kernels with pre-packed arguments (see _Launcher); SPIKESIM_CUDA_FAST_LAUNCH=0 disables
FAST_LAUNCH = os.environ.get("SPIKESIM_CUDA_FAST_LAUNCH", "1") != "0"


def unavailable_reason() -> str | None:
    """None when kernels can run (a CUDA GPU, or the simulator); otherwise why not."""
    try:
        from numba import config
        from numba import cuda
    except Exception as exc:  # pragma: no cover - depends on the install
        return f"numba-cuda cannot be imported ({exc})"
    if config.ENABLE_CUDASIM:
        return None
    try:
        if cuda.is_available():
            return None
    except Exception as exc:  # pragma: no cover
        return f"the CUDA driver failed to initialise ({exc})"
    return "no CUDA GPU / driver was found"


def simulated() -> bool:
    from numba import config
    return bool(config.ENABLE_CUDASIM)


def exact_delivery(n_synapses: int, n_neurons: int) -> bool:
    """Whether a network gets the ordered (bit-exact) delivery under ``DELIVERY``."""
    if DELIVERY not in ("auto", "exact", "atomic"):
        raise ValueError(f"DELIVERY must be 'auto', 'exact' or 'atomic', got {DELIVERY!r}")
    return DELIVERY == "exact" or (DELIVERY == "auto" and n_synapses <= EXACT_MAX_SYNAPSES
                                   and n_neurons <= EXACT_MAX_NEURONS)


def multapse_chains(indptr, code):
    """Per synapse ``(next + 1) * 2 + is_first``: synapses of one row that hit the same ring cell
    (same target row, delay and neuron) form a chain in CSR order; only its first member's thread
    delivers, adding the others in order (``next`` = -1 ends a chain)."""
    S = code.size
    row = np.repeat(np.arange(indptr.size - 1, dtype=np.int64), np.diff(indptr))
    order = np.lexsort((code, row))             # stable: CSR order inside a (row, cell) group
    same = np.zeros(S, dtype=bool)
    if S > 1:
        same[1:] = (code[order[1:]] == code[order[:-1]]) & (row[order[1:]] == row[order[:-1]])
    nxt = np.full(S, -1, dtype=np.int64)
    if S > 1:
        nxt[order[:-1][same[1:]]] = order[1:][same[1:]]
    first = np.ones(S, dtype=np.int64)
    first[order[same]] = 0
    return (nxt + 1) * 2 + first


class _Buffers:
    """The i64 (layout + int tables) and f64 (dt + float arrays) buffers being packed."""

    def __init__(self, n_head):
        self.head = np.zeros(n_head, dtype=np.int64)
        self.i_blocks, self.i_pos = [self.head], n_head
        self.f_blocks, self.f_pos = [], 0

    def put_i(self, slot, arr):
        arr = np.ascontiguousarray(arr, dtype=np.int64).ravel()
        self.head[slot] = self.i_pos
        self.i_blocks.append(arr)
        self.i_pos += arr.size

    def put_f(self, slot, arr):
        a = np.ascontiguousarray(arr, dtype=np.float64).ravel()
        if slot is not None:
            self.head[slot] = self.f_pos
        self.f_blocks.append(a)
        self.f_pos += a.size
        return self.f_pos - a.size

    def arrays(self):
        return np.concatenate(self.i_blocks), np.concatenate(self.f_blocks)


def synapse_codes(plan) -> np.ndarray:
    """Per synapse ``delay << 40 | cell`` (int64): the ring cell it adds to, ``delay`` slots ahead."""
    from .kernels import CELL_BITS
    delay = np.asarray(plan.delay, dtype=np.int64)
    n_slots = int(plan.n_slots)
    if delay.size and (delay.min() < 1 or delay.max() >= n_slots):
        raise ValueError("synaptic delays must lie in [1, n_slots - 1] steps")
    if n_slots >= 2 ** (63 - CELL_BITS) or plan.ring_cells >= 2 ** CELL_BITS:
        raise ValueError(f"the cuda backend supports up to {2 ** (63 - CELL_BITS) - 1} delay steps and "
                         f"2**{CELL_BITS} ring cells per slot")
    code = delay << CELL_BITS           # in place from here: one temporary even for 10^9 synapses
    code |= np.asarray(plan.cell, dtype=np.int64)
    return code


def stp_lists(plan) -> tuple[np.ndarray, np.ndarray]:
    """CSR by presynaptic neuron of the short-term-plasticity slots its synapses use (each once)."""
    N = plan.n_total
    row = np.repeat(np.arange(N, dtype=np.int64), np.diff(plan.indptr))
    sl = np.asarray(plan.stp_slot, dtype=np.int64)
    keep = sl >= 0
    pairs = np.unique(np.stack([row[keep], sl[keep]]), axis=1) if keep.any() else np.zeros((2, 0), np.int64)
    ptr = np.concatenate([[0], np.cumsum(np.bincount(pairs[0], minlength=N))])
    return ptr, pairs[1]


def pack(plan):
    """Pack a plan (its monitors included) into the flat ``i64`` / ``f64`` buffers of
    :mod:`.kernels`; returns ``(i64, f64, info)``."""
    from . import kernels as K
    from .driver import pop_slots
    N = plan.n_total
    if N >= 2 ** 31:
        raise ValueError(f"the cuda backend supports up to 2**31 - 1 neurons, got {N}")
    slots = pop_slots(plan)
    buf = _Buffers(K.N_LAYOUT + len(slots))
    head = buf.head
    buf.put_f(None, np.array([plan.dt]))
    buf.put_i(K.O_INDPTR, plan.indptr)
    code = synapse_codes(plan)
    buf.put_i(K.O_SYN, code)
    exact = exact_delivery(code.size, N)
    if exact:
        head[K.L_EXACT] = 1
        buf.put_i(K.O_SORTED, np.zeros(N, dtype=np.int64))
        buf.put_i(K.O_CHAIN, multapse_chains(np.asarray(plan.indptr, dtype=np.int64), code))
    del code
    buf.put_i(K.O_SPIKELIST, np.zeros(2 * N, dtype=np.int64))
    buf.put_i(K.O_RECVOFF, plan.recv_off)
    buf.put_i(K.O_RECSPIKE, plan.rec_spike)
    if plan.src_step.size:              # spike sources: one schedule and read pointer per neuron
        order = np.lexsort((plan.src_step, plan.src_gid))
        ptr = np.concatenate([[0], np.cumsum(np.bincount(plan.src_gid, minlength=N))])
        buf.put_i(K.O_SRCPTR, ptr)
        buf.put_i(K.O_SRCSTEP, plan.src_step[order])
        buf.put_i(K.O_SRCCUR, ptr[:-1])
    n_rules = len(plan.rules)
    if n_rules:
        buf.put_i(K.O_POST, plan.post)
        buf.put_i(K.O_SYNRULE, plan.syn_rule)
        buf.put_i(K.O_SYNLOCAL, plan.syn_local)
        buf.put_i(K.O_SYNPRE, plan.syn_pre)
        buf.put_i(K.O_POSTPTR, plan.post_indptr)
        buf.put_i(K.O_POSTSYN, plan.post_syn)
    head[K.L_N], head[K.L_NSLOTS], head[K.L_SEED], head[K.L_RINGCELLS] = N, plan.n_slots, plan.seed, plan.ring_cells
    back = {}                           # what sync_to_host copies back: name -> (array, f64 offset)
    if plan.has_stp:
        ptr, lists = stp_lists(plan)
        buf.put_i(K.O_STPSLOT, plan.stp_slot)
        buf.put_i(K.O_STPPTR, ptr)
        buf.put_i(K.O_STPLIST, lists)
        head[K.L_NSTP] = plan.stp_state.shape[1]
        back["stp_state"] = (plan.stp_state, buf.put_f(K.F_STP, plan.stp_state))
        buf.put_f(K.F_STPPAR, plan.stp_params)
    pins = plan.poisson_inputs
    buf.put_i(K.O_PINK, np.array([q.k for q in pins], dtype=np.int64))
    buf.put_f(K.F_PINP, np.array([q.p for q in pins], dtype=np.float64))
    buf.put_f(K.F_PINW, np.array([q.weight for q in pins], dtype=np.float64))
    w_at = (plan.w, buf.put_f(K.F_W, plan.w))
    if n_rules:                         # static weights do not change on the device
        back["w"] = w_at
    back["ring"] = (plan.ring, buf.put_f(K.F_RING, plan.ring))     # pending spikes (a rebuilt plan keeps them)
    offset = {}
    for j, (name, value) in enumerate(slots):
        if isinstance(value, int):
            head[K.N_LAYOUT + j] = value
        elif value.dtype.kind in "iu":
            buf.put_i(K.N_LAYOUT + j, value)
        else:
            offset[name] = buf.put_f(K.N_LAYOUT + j, value)
            if name[0] in "SGQH" or name[:2] in ("CA", "RX", "RV"):   # state, coupling sums, rule traces and
                # state, readouts and channel currents (windows the host rewrites between runs)
                back[name] = (value, offset[name])
    # monitors: one column per recorded (variable, neuron or synapse), its f64 index and sampling
    # interval; neuron-state columns are sampled by the delivery kernel, synaptic variables of a
    # plastic network by its last plasticity kernel (after the step's weight changes)
    idx, every, late = [], [], []
    rule_of = {r: rp for r, rp in enumerate(plan.rules)}
    for mon in plan.monitors:
        if mon.kind == "synapse":
            if mon.row < 0:
                idx.append(w_at[1] + mon.ids)
            else:
                rp = rule_of[mon.rule]
                idx.append(offset[f"RV{mon.rule}"] + mon.row * rp.syn.size + mon.ids)
        else:
            pp = plan.pops[mon.pop]
            name = f"S{mon.pop}" if mon.syn < 0 else f"G{mon.pop}_{mon.syn}"
            idx.append(offset[name] + mon.row * pp.n + mon.ids)
        every.append(np.full(mon.ids.size, mon.every))
        late.append(np.full(mon.ids.size, mon.kind == "synapse" and n_rules > 0))
    cat = lambda parts, dt_=np.int64: np.concatenate(parts) if parts else np.zeros(0, dt_)  # noqa: E731
    buf.put_i(K.O_RECIDX, cat(idx))
    buf.put_i(K.O_RECEVERY, cat(every))
    late = cat(late, bool)
    cols = np.concatenate([np.flatnonzero(~late), np.flatnonzero(late)])
    buf.put_i(K.O_RECCOLS, cols)
    n_cols = int(sum(m.ids.size for m in plan.monitors))
    buf.put_i(K.O_RECCOUNT, np.zeros(n_cols, dtype=np.int64))
    head[K.L_NREC] = n_cols
    head[K.L_NRECD] = int(np.count_nonzero(~late))
    i64, f64 = buf.arrays()
    return i64, f64, {"exact": exact, "back": back, "w": w_at, "n_cols": n_cols, "n_rules": n_rules}


class _Launcher:
    """Launch one compiled kernel whose only changing argument is the leading int64 ``step``.

    The dispatcher's ordinary launch types and packs every argument again on every call (a few
    microseconds per array argument); here the array arguments are packed once per chunk with
    numba-cuda's own ``_prepare_args`` and each step only adds the step number. Relies on
    numba-cuda internals (0.30): :func:`make_launcher` falls back to the ordinary launch if
    they are missing."""

    def __init__(self, dispatcher, grid, block, arrays):
        import ctypes

        from numba.cuda import dispatcher as nd
        from numba.cuda._compat import CUDA_CORE_GE_1_0
        from numba.cuda.cudadrv import driver

        from .strict_fp import strict_fp
        argtypes = tuple(dispatcher.typeof_pyval(a) for a in (np.int64(0),) + tuple(arrays))
        with strict_fp():
            kernel = dispatcher.compile(argtypes)
        if kernel.debug or kernel.cooperative or kernel.extensions:
            raise RuntimeError("unsupported kernel options for the fast launcher")
        self.stream = driver._to_core_stream(0)
        packed, retr = [], []
        for ty, val in zip(kernel.argument_types[1:], arrays):
            kernel._prepare_args(ty, val, self.stream, retr, packed)
        if retr:
            raise RuntimeError("host arrays need write-back; the fast launcher takes device arrays only")
        self.rest = tuple(packed)
        key = "is_cooperative" if CUDA_CORE_GE_1_0 else "cooperative_launch"
        self.config = nd.LaunchConfig(grid=grid, block=block, shmem_size=0, **{key: False})
        self.kfunc = kernel._codelibrary.get_cufunc().kernel
        self.launch = nd.launch
        self.c_int64 = ctypes.c_int64

    def __call__(self, step):
        self.launch(self.stream, self.config, self.kfunc, self.c_int64(step), *self.rest)


def make_launcher(dispatcher, grid, block, arrays):
    """A callable ``f(step)`` launching ``dispatcher[grid, block](step, *arrays)``."""
    if FAST_LAUNCH and not simulated():
        try:
            return _Launcher(dispatcher, grid, block, arrays)
        except Exception as exc:  # pragma: no cover - depends on numba-cuda internals
            import warnings
            warnings.warn(f"spikesim cuda: fast kernel launch unavailable ({exc}); using the ordinary launch",
                          RuntimeWarning, stacklevel=2)
    import warnings
    with warnings.catch_warnings():     # small networks use small grids on purpose
        warnings.filterwarnings("ignore", message=".*under-utilization.*")
        configured = dispatcher[grid, block]
    return lambda step: configured(step, *arrays)


class CudaRunner:
    """Device-resident arrays of one network; ``run_steps`` advances it, ``sync_to_host`` copies
    the state (every neuron and synapse model's ``S``, weights and plasticity traces) back into
    the plan's arrays, ``sync_to_device`` uploads them again after the host changed them. Same
    status / step semantics as the CPU runner; the host arrays passed to ``run_steps`` are
    filled before it returns."""

    def __init__(self, plan):
        from numba import cuda
        from . import kernels as K
        from .driver import step_kernels
        self._cuda, self._K = cuda, K
        self.plan = plan
        self.step_kernels = step_kernels(plan)
        i64, f64, info = pack(plan)
        self.N = plan.n_total
        self.n_rec = info["n_cols"]
        self.exact = info["exact"]
        self.plastic = info["n_rules"] > 0
        self.n_rule_syn = max((rp.syn.size for rp in plan.rules), default=0)
        from .driver import readout_kernels, rule_kernels
        self.rule_kernels = rule_kernels(plan)
        self.readout_kernels = readout_kernels(plan)
        from .conv import conv_device_arrays
        self.conv_args = conv_device_arrays(plan) if plan.convs else []
        from .attention import DeviceAttention
        self.attentions = [DeviceAttention(at) for at in plan.attentions]     # spikesim.core.attention
        self._back = info["back"]
        self._w = info["w"]
        self._o_count = int(i64[K.O_RECCOUNT])
        self._col_sizes = np.array([m.ids.size for m in plan.monitors], dtype=np.int64)
        self.d_i64 = cuda.to_device(i64)
        self.d_f64 = cuda.to_device(f64)
        self.d_streams = cuda.to_device(plan.stream_keys())
        self._step = None               # the step the device state has reached (None: not run yet)
        self._cap = -1
        self._d_spk = None
        self._rec_host = None
        self._d_rec = None
        self._compiled = False

    def _header(self, cap):
        K = self._K
        c = self.plan.counters
        h = np.zeros(K.N_HEADER, dtype=np.int64)
        h[K.H_STOP] = h[K.H_BADPOP] = np.iinfo(np.int64).max
        h[K.H_SPIKES], h[K.H_EVENTS], h[K.H_CAP] = c[C_SPIKES], c[C_EVENTS], cap
        return h

    def run_steps(self, step0, step1, spk_step, spk_gid, rec_buf, rec_count):
        """Advance from ``step0`` to ``step1``; returns (status, next_step) like the CPU driver."""
        cuda, K = self._cuda, self._K
        from .strict_fp import strict_fp
        c = self.plan.counters
        N, cap = self.N, int(spk_step.size)
        if c[C_SPIKES] + N > cap:
            return STATUS_BUFFER_FULL, step0
        if step1 <= step0:
            return STATUS_DONE, step1
        if cap != self._cap:
            self._d_spk, self._cap = cuda.device_array(2 * cap, dtype=np.int64), cap
        if rec_buf is not self._rec_host:
            self._rec_host = rec_buf
            self._d_rec = cuda.to_device(rec_buf if rec_buf.size else np.zeros((1, 1)))
        self.d_i64[:K.N_HEADER].copy_to_device(self._header(cap))
        if self.n_rec:
            cols = np.repeat(np.asarray(rec_count, dtype=np.int64), self._col_sizes)
            self.d_i64[self._o_count:self._o_count + self.n_rec].copy_to_device(cols)
        block, block_b = int(BLOCK), int(DELIVER_BLOCK)
        grid_a = max(1, math.ceil(N / block))
        grid_b = max(1, min(int(MAX_BLOCKS), math.ceil(max(N, self.n_rec) / block_b)))
        grid_p = max(1, min(int(MAX_BLOCKS), math.ceil(max(N, self.n_rule_syn, self.n_rec) / block)))
        f64, i64, spk, rec = self.d_f64, self.d_i64, self._d_spk, self._d_rec
        with strict_fp():               # compiling keeps the CPU's rounding (no FMA contraction)
            launchers = [make_launcher(k, grid_a, block, (f64, i64, self.d_streams, spk)) for k in self.step_kernels]
            launchers.append(make_launcher(K.deliver_kernel, grid_b, block_b, (f64, i64, rec)))
            if self.conv_args:
                from .conv import conv_kernel
                launchers += [make_launcher(conv_kernel, grid_b, block_b, (f64, i64, *a)) for a in self.conv_args]
            for da in self.attentions:
                launchers += da.launchers(make_launcher, f64, i64, N, block)
            launchers += [make_launcher(k, grid_p, block, (f64, i64, rec)) for k in self.rule_kernels]
            launchers += [make_launcher(k, 1, 1, (f64, i64, rec)) for k in self.readout_kernels]
            step = step0
            if not self._compiled:      # the ordinary launch compiles on first use
                for launch in launchers:
                    launch(step)
                self._compiled = True
                step += 1
        status_view = i64[K.H_STATUS:K.H_STATUS + 1]
        ka, kb = launchers[:2]
        while step < step1:
            stop = min(step1, step + int(CHECK_EVERY))
            if len(launchers) > 2:
                for s in range(step, stop):
                    for launch in launchers:
                        launch(s)
            else:
                for s in range(step, stop):
                    ka(s)
                    kb(s)
            step = stop
            if step < step1 and status_view.copy_to_host()[0] != 0:
                break
        # ---- copy back: header, new spikes (sorted like the CPU's), new monitor rows -----------
        h = i64[:K.N_HEADER].copy_to_host()
        status = int(h[K.H_STATUS])
        reached = int(h[K.H_STOP]) if status else int(step1)
        self._step = reached
        m0, m1 = int(c[C_SPIKES]), int(h[K.H_SPIKES])
        if m1 > m0:
            steps = self._d_spk[m0:m1].copy_to_host()
            gids = self._d_spk[cap + m0:cap + m1].copy_to_host()
            order = np.lexsort((gids, steps))
            steps, gids = steps[order], gids[order]
            if status == STATUS_NONFINITE:      # the CPU records nothing of the failing step
                keep = int(np.searchsorted(steps, reached))
                steps, gids, m1 = steps[:keep], gids[:keep], m0 + keep
            spk_step[m0:m1] = steps
            spk_gid[m0:m1] = gids
        c[C_SPIKES], c[C_EVENTS] = m1, h[K.H_EVENTS]
        if status == STATUS_NONFINITE:
            c[C_BAD_POP] = h[K.H_BADPOP]
        if self.n_rec:
            r0 = int(rec_count.min()) if rec_count.size else 0
            cols = i64[self._o_count:self._o_count + self.n_rec].copy_to_host()
            r1 = int(cols.max())
            if r1 > r0:
                rec_buf[r0:r1] = self._d_rec[r0:r1].copy_to_host()
        for k, mon in enumerate(self.plan.monitors):   # rows sampled: the steps run that are multiples of every
            rec_count[k] += (reached - 1) // mon.every - (step0 - 1) // mon.every
        return status, reached

    def sync_to_host(self):
        """Copy the state of every neuron and synapse model, the rings (pending spikes), the
        short-term-plasticity state, the continuous projections' sums and, for plastic networks,
        the weights, eligibilities and traces into the plan's arrays (static weights are the
        host's); the spike sources' read pointers in ``plan.counters`` are set to where the
        device is."""
        for arr, off in self._back.values():
            arr[...] = self.d_f64[off:off + arr.size].copy_to_host().reshape(arr.shape)
        for da in self.attentions:
            da.sync_to_host()
        p = self.plan
        if self._step is not None:
            for pp in p.pops:
                if pp.kind == "spike_source":
                    lo, hi = p.src_off[pp.index], p.src_off[pp.index + 1]
                    p.counters[C_SRC0 + pp.index] = lo + np.searchsorted(p.src_step[lo:hi], self._step)

    def sync_to_device(self):
        """Upload what :meth:`sync_to_host` copies back, and the weights (after the host changed
        them between runs or in a callback)."""
        for arr, off in list(self._back.values()) + [self._w]:
            self.d_f64[off:off + arr.size].copy_to_device(np.ascontiguousarray(arr, dtype=np.float64).ravel())


def make_runner(plan):
    """The runner protocol of :mod:`spikesim.backends`: a :class:`CudaRunner` for ``plan``."""
    reason = unavailable_reason()
    if reason is not None:
        from spikesim.backends import CUDA_HINT, BackendUnavailableError
        raise BackendUnavailableError(f"backend 'cuda' is unavailable: {reason}; {CUDA_HINT}")
    return CudaRunner(plan)
