"""CUDA backend of the event-driven core (numba-cuda): public driver of the kernels.

Layers: :class:`spikesim.core.network.Network` (validates) -> :class:`CudaRunner` (packs the plan
once, keeps every array on the device across chunks and runs, launches two kernels per step,
copies the monitors back once per chunk) -> :mod:`.kernels` (the per-step kernels, which call
the same scalar neuron / RNG maths as the CPU backend, compiled with ``cuda.jit(device=True)``).

Exactness against the CPU backends. Per-neuron arithmetic is the same sequence of IEEE
double-precision + and * (FMA contraction is switched off, see :mod:`.strict_fp`) and the
Poisson draws come from the same counter-based stream, so a neuron that receives the same
ring-buffer input computes bit-identical state. The ring buffer is where order matters: when
several spikes of one step reach the same (target, delay slot, neuron) cell, the CPU adds them
in ascending spike id, CSR order within a row. ``DELIVERY``:

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
of operations, so learned weights are bit-identical as long as the spikes are.

Launches per step: two (neurons; delivery + monitors), four with plastic synapses.

Module constants ``BLOCK`` / ``DELIVER_BLOCK`` (threads per block), ``MAX_BLOCKS`` (grid cap of
the delivery and plasticity kernels), ``CHECK_EVERY`` (steps between host checks of the stop
flag) and ``DELIVERY`` are read when a runner is made or run, so tests can patch them small to
exercise multi-block paths.
"""
from __future__ import annotations

import math
import os
from types import SimpleNamespace

import numpy as np

from spikesim.core.plan import (C_BAD_POP, C_EVENTS, C_SPIKES, STATUS_BUFFER_FULL, STATUS_DONE,
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

INSTALL_HINT = ('install the GPU extra with `pip install -e ".[cuda]"` (numba-cuda; add '
                '`numba-cuda[cu12]` or `[cu13]` to match your driver), or, to test on a machine '
                'without a GPU, set NUMBA_ENABLE_CUDASIM=1 before Python imports numba (the CUDA '
                'simulator: correct but very slow, for tiny networks only)')


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


def pack(plan, rec_spike, rec_var, rec_gid, rec_every):
    """Pack a plan and its monitor tables into the flat ``i64`` / ``f64`` buffers of :mod:`.kernels`."""
    from . import kernels as K
    N = int(plan.pop_stop[-1])
    n_pops = plan.pop_kind.size
    n_rings, n_slots = plan.ring.shape[0], plan.ring.shape[1]
    if N >= 2 ** 31:
        raise ValueError(f"the cuda backend supports up to 2**31 - 1 neurons, got {N}")
    if n_rings > 4:
        raise ValueError("the cuda backend supports at most 4 synapse target rows")
    head = np.zeros(K.N_LAYOUT, dtype=np.int64)
    blocks, pos = [head], K.N_LAYOUT

    def put(slot, arr):
        nonlocal pos
        arr = np.ascontiguousarray(arr, dtype=np.int64).ravel()
        head[slot] = pos
        blocks.append(arr)
        pos += arr.size

    sizes = plan.pop_stop - plan.pop_start
    put(K.O_POPKIND, plan.pop_kind)
    put(K.O_POPSTART, plan.pop_start)
    put(K.O_POPFLAG, plan.pop_flag)
    put(K.O_POPOF, np.repeat(np.arange(n_pops), sizes))
    gid = np.asarray(plan.I_time_gid, dtype=np.int64)
    put(K.O_ITPTR, np.concatenate([[0], np.cumsum(np.bincount(gid, minlength=N))]))
    put(K.O_ITCOL, np.argsort(gid, kind="stable"))       # columns of each neuron, in column order
    order = np.lexsort((plan.src_step, plan.src_gid))     # by neuron, then step
    src_ptr = np.concatenate([[0], np.cumsum(np.bincount(plan.src_gid, minlength=N))])
    put(K.O_SRCPTR, src_ptr)
    put(K.O_SRCSTEP, plan.src_step[order])
    put(K.O_SRCCUR, src_ptr[:-1])
    put(K.O_INDPTR, plan.indptr)
    delay = np.asarray(plan.delay, dtype=np.int64)
    if delay.size and (delay.min() < 1 or delay.max() >= n_slots):
        raise ValueError("synaptic delays must lie in [1, n_slots - 1] steps")
    code = delay * 4                    # in place: one temporary even for 10^9 synapses
    code += plan.syn_ring
    code <<= 32
    code |= plan.post
    put(K.O_SYN, code)
    if exact_delivery(code.size, N):
        head[K.L_EXACT] = 1
        put(K.O_SORTED, np.zeros(N, dtype=np.int64))
        put(K.O_CHAIN, multapse_chains(np.asarray(plan.indptr, dtype=np.int64), code))
    del code
    put(K.O_RINGTGT, plan.ring_target)
    put(K.O_RECVAR, rec_var)
    put(K.O_RECGID, rec_gid)
    put(K.O_RECEVERY, rec_every)
    put(K.O_RECCOUNT, np.zeros(len(rec_var), dtype=np.int64))
    put(K.O_RECSPIKE, np.asarray(rec_spike, dtype=np.int64))
    put(K.O_SPIKELIST, np.zeros(2 * N, dtype=np.int64))
    rules = getattr(plan, "rules", None)
    n_rules = 0 if rules is None else int(rules.shape[0])
    empty = np.zeros(0)
    if n_rules:
        put(K.O_SYNRULE, plan.syn_rule)
        put(K.O_SYNPRE, plan.syn_pre)
        put(K.O_POSTPTR, plan.post_indptr)
        put(K.O_POSTSYN, plan.post_syn)
        put(K.O_MODSYN, plan.mod_syn)
        head[K.L_NRULES], head[K.L_NMOD], head[K.L_MODLEN] = n_rules, plan.mod_syn.size, plan.modulator.shape[1]
    head[K.L_N], head[K.L_NPOPS], head[K.L_NSLOTS], head[K.L_NRINGS] = N, n_pops, n_slots, n_rings
    head[K.L_SEED], head[K.L_NREC], head[K.L_ITCOLS] = plan.seed, len(rec_var), gid.size

    fblocks, fpos = [np.array([plan.dt])], 1
    for slot, arr in ((K.F_PARAMS, plan.params), (K.F_STATE, plan.state), (K.F_ICONST, plan.I_const),
                      (K.F_ITIME, plan.I_time), (K.F_W, plan.w), (K.F_RING, plan.ring),
                      (K.F_RULES, plan.rules if n_rules else empty), (K.F_XPRE, plan.x_pre if n_rules else empty),
                      (K.F_XPOST, plan.x_post if n_rules else empty), (K.F_ELIG, plan.elig if n_rules else empty),
                      (K.F_MOD, plan.modulator if n_rules else empty)):
        arr = np.ascontiguousarray(arr, dtype=np.float64).ravel()
        head[slot] = fpos
        fblocks.append(arr)
        fpos += arr.size
    return np.concatenate(blocks), np.concatenate(fblocks)


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
    """Device-resident state of one network; ``run_steps`` advances it, ``sync_to_host`` copies
    the neuron state back into ``plan.state``. Same status / step semantics as the CPU
    ``run_steps``; the host arrays passed to ``run_steps`` are filled before it returns."""

    def __init__(self, plan, rec_spike, rec_var, rec_gid, rec_every):
        from numba import cuda
        from . import kernels as K
        self._cuda, self._K = cuda, K
        self.plan = plan
        i64, f64 = pack(plan, rec_spike, rec_var, rec_gid, rec_every)
        self.N = int(plan.pop_stop[-1])
        self.n_rec = len(rec_var)
        self._o_count = int(i64[K.O_RECCOUNT])
        self._f_state = int(i64[K.F_STATE])
        self.plastic = int(i64[K.L_NRULES]) > 0
        self.n_mod = int(i64[K.L_NMOD])
        self.exact = bool(i64[K.L_EXACT])
        self._f_back = {name: int(i64[slot]) for name, slot in (("w", K.F_W), ("elig", K.F_ELIG), ("x_pre", K.F_XPRE),
                                                                ("x_post", K.F_XPOST))}
        self.d_i64 = cuda.to_device(i64)
        self.d_f64 = cuda.to_device(f64)
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
            self.d_i64[self._o_count:self._o_count + self.n_rec].copy_to_device(np.ascontiguousarray(rec_count))
        block, block_b = int(BLOCK), int(DELIVER_BLOCK)
        grid_a = max(1, math.ceil(N / block))
        grid_b = max(1, min(int(MAX_BLOCKS), math.ceil(max(N, self.n_rec) / block_b)))
        grid_p = max(1, min(int(MAX_BLOCKS), math.ceil(max(N, self.n_mod) / block)))
        f64, i64, spk, rec = self.d_f64, self.d_i64, self._d_spk, self._d_rec
        with strict_fp():               # compiling keeps the CPU's rounding (no FMA contraction)
            launchers = [make_launcher(K.neuron_kernel, grid_a, block, (f64, i64, spk)),
                         make_launcher(K.deliver_kernel, grid_b, block_b, (f64, i64, rec))]
            if self.plastic:
                launchers += [make_launcher(K.potentiate_kernel, grid_p, block, (f64, i64)),
                              make_launcher(K.plastic_tail_kernel, grid_p, block, (f64, i64))]
            if not self._compiled:      # the ordinary launch compiles on first use
                for launch in launchers:
                    launch(step0)
                self._compiled = True
                step0 += 1
        step = step0
        status_view = i64[K.H_STATUS:K.H_STATUS + 1]
        if self.plastic:
            ka, kb, kc, kd = launchers
        else:
            ka, kb = launchers
        while step < step1:
            stop = min(step1, step + int(CHECK_EVERY))
            if self.plastic:
                for s in range(step, stop):
                    ka(s)
                    kb(s)
                    kc(s)
                    kd(s)
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
        m0, m1 = int(c[C_SPIKES]), int(h[K.H_SPIKES])
        if m1 > m0:
            steps = self._d_spk[m0:m1].copy_to_host()
            gids = self._d_spk[cap + m0:cap + m1].copy_to_host()
            order = np.lexsort((gids, steps))
            spk_step[m0:m1] = steps[order]
            spk_gid[m0:m1] = gids[order]
        c[C_SPIKES], c[C_EVENTS] = m1, h[K.H_EVENTS]
        if status == STATUS_NONFINITE:
            c[C_BAD_POP] = h[K.H_BADPOP]
        if self.n_rec:
            r0 = int(rec_count.min())
            new = i64[self._o_count:self._o_count + self.n_rec].copy_to_host()
            r1 = int(new.max())
            if r1 > r0:
                rec_buf[r0:r1] = self._d_rec[r0:r1].copy_to_host()
            rec_count[:] = new
        return status, reached

    def sync_to_host(self):
        """Copy the neuron state (v, u/ref, I_syn) into ``plan.state`` and, for plastic networks, the
        weights, eligibilities and traces into the plan; the rings stay on the device."""
        n = self.plan.state.size
        self.plan.state[...] = self.d_f64[self._f_state:self._f_state + n].copy_to_host().reshape(self.plan.state.shape)
        if self.plastic:
            for name, off in self._f_back.items():
                arr = getattr(self.plan, name)
                arr[...] = self.d_f64[off:off + arr.size].copy_to_host().reshape(arr.shape)


def make_runner(plan, rec_spike, rec_var, rec_gid, rec_every):
    """The runner protocol of :mod:`spikesim.backends`: a :class:`CudaRunner` for ``plan``."""
    reason = unavailable_reason()
    if reason is not None:
        from spikesim.backends import BackendUnavailableError
        raise BackendUnavailableError(f"backend 'cuda' is unavailable: {reason}; {INSTALL_HINT}")
    return CudaRunner(plan, rec_spike, rec_var, rec_gid, rec_every)


def run_steps(step0, step1, seed, pop_kind, pop_start, pop_stop, pop_flag, params, state, I_const, I_time,
              I_time_gid, src_step, src_gid, src_off, indptr, post, w, delay, syn_ring, ring, ring_target,
              rec_spike, spk_step, spk_gid, rec_var, rec_gid, rec_every, rec_buf, rec_count, counters,
              spike_list, current, dt, syn_rule=None, syn_pre=None, rules=None, x_pre=None, x_post=None, elig=None,
              modulator=None, post_indptr=None, post_syn=None, mod_syn=None, row_delay=None, row_ring=None):
    """The CPU backends' contract on host arrays (uploads, runs, copies state and rings back).

    Convenient for one-off calls; :class:`CudaRunner` avoids the transfers between chunks."""
    plan = SimpleNamespace(seed=seed, dt=dt, pop_kind=pop_kind, pop_start=pop_start, pop_stop=pop_stop,
                           pop_flag=pop_flag, params=params, state=state, I_const=I_const, I_time=I_time,
                           I_time_gid=I_time_gid, src_step=src_step, src_gid=src_gid, indptr=indptr, post=post,
                           w=w, delay=delay, syn_ring=syn_ring, ring=ring, ring_target=ring_target,
                           counters=counters, syn_rule=syn_rule, syn_pre=syn_pre, rules=rules, x_pre=x_pre,
                           x_post=x_post, elig=elig, modulator=modulator, post_indptr=post_indptr, post_syn=post_syn,
                           mod_syn=mod_syn)
    runner = make_runner(plan, rec_spike, rec_var, rec_gid, rec_every)
    status, reached = runner.run_steps(step0, step1, spk_step, spk_gid, rec_buf, rec_count)
    runner.sync_to_host()
    from . import kernels as K
    f_ring = int(runner.d_i64[K.F_RING:K.F_RING + 1].copy_to_host()[0])
    ring[...] = runner.d_f64[f_ring:f_ring + ring.size].copy_to_host().reshape(ring.shape)
    return status, reached
