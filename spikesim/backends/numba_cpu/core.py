"""Numba CPU backend: runs the time loop generated for the network (:mod:`.driver`) on the
plan's host arrays.

Threads (``Network(threads=K)``, K > 1): Numba's threading layer runs the kernel's loops over
parts (its default choice, tbb > omp > workqueue, or ``NUMBA_THREADING_LAYER``; the results do
not depend on it). A step has two parallel loops and short serial phases between them, so
threads that spin while they wait take the cores the serial phase and other processes need: on
a loaded 2-core machine OpenMP's default spinning made a 2-thread run 20x slower than one
thread. ``OMP_WAIT_POLICY`` therefore defaults to ``PASSIVE`` here (set before OpenMP is loaded;
an explicit setting is kept).
"""
from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .driver import generate, kernel_arrays, load_kernel


class NumbaRunner:
    def __init__(self, plan, profile: bool = False):
        """``profile``: the variant of the loop that counts cycles per phase in ``self.prof``
        (:data:`~.driver.PHASES`; for the benchmark's time breakdown)."""
        from .startup import start
        start()
        self.plan = plan
        self.prof = np.zeros(8, dtype=np.uint64)
        source, extra = generate(plan, profile=profile)
        self.source = source
        self.kernel = load_kernel(source).run_steps
        self.extra = tuple(kernel_arrays(plan, extra).values())
        self.spike_list = np.zeros(max(plan.n_total, 1), dtype=np.int64)
        self.spike_scratch = np.zeros_like(self.spike_list)     # each part's spikes, in its own range
        self.part_cnt = np.zeros((plan.n_parts, len(plan.pops)), dtype=np.int64)
        self.part_bad = np.zeros((plan.n_parts, len(plan.pops)), dtype=np.int64)
        self.rec_ids, self.rec_idoff, self.rec_every = plan.monitor_arrays()
        self.rec_col0 = np.array([m.col0 for m in plan.monitors], dtype=np.int64)
        self.streams = plan.stream_keys()
        self.pop_n = np.array([pp.n for pp in plan.pops], dtype=np.int64)
        # compile (or load from the disk cache) now, with zero steps: building the network is
        # where the kernel's cost belongs, not the first run's timing
        n_cols = sum(m.ids.size for m in plan.monitors)
        self.run_steps(0, 0, np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros((0, n_cols)),
                       np.zeros(len(plan.monitors), np.int64))

    def run_steps(self, step0, step1, spk_step, spk_gid, rec_buf, rec_count):
        p = self.plan
        if p.n_parts > 1:       # a thread per part (a setting of the calling thread, restored after)
            import numba
            before = numba.get_num_threads()
            numba.set_num_threads(min(p.n_parts, numba.config.NUMBA_NUM_THREADS))
            try:
                return self._call(step0, step1, spk_step, spk_gid, rec_buf, rec_count)
            finally:
                numba.set_num_threads(before)
        return self._call(step0, step1, spk_step, spk_gid, rec_buf, rec_count)

    def _call(self, step0, step1, spk_step, spk_gid, rec_buf, rec_count):
        p = self.plan
        status, reached = self.kernel(
            step0, step1, p.seed, p.dt, p.n_slots, p.counters, self.spike_list, self.spike_scratch, self.part_cnt, self.part_bad,
            spk_step, spk_gid, p.rec_spike,
            rec_buf, rec_count, self.rec_ids, self.rec_idoff, self.rec_every, self.rec_col0, p.indptr, p.post, p.cell,
            p.w, p.delay, p.n_parts, p.seg_ptr, p.seg_lo, p.seg_hi, p.seg_delay, p.ring, p.recv_off, p.ring_n,
            p.ring_cells, p.src_step, p.src_gid, p.src_off, p.pop_start, self.pop_n, self.streams, p.syn_rule,
            p.syn_local, p.syn_pre, p.post_indptr, p.post_syn, p.stp_slot, p.stp_state, p.stp_params, p.stp_row_ptr,
            p.stp_row_slot, self.prof, *self.extra)
        return int(status), int(reached)

    def sync_to_host(self):
        pass


def make_runner(plan):
    return NumbaRunner(plan)


def profile_run(net, duration: float) -> dict:
    """Run ``net`` (numba backend, built or not) for ``duration`` ms with the profiling variant of
    its loop; returns the seconds per phase (the loop's time, CPU time at one thread and wall
    time with more, split in proportion to the cycles counted per phase) and the run's stats."""
    from .driver import PHASES
    net.run(0.0)
    runner = NumbaRunner(net._plan, profile=True)
    net._runner = runner
    import time
    c0 = time.process_time()
    net.run(duration)
    cpu = time.process_time() - c0
    cyc = runner.prof.astype(np.float64)
    wall = net.last_run_stats["run_seconds"]
    share = cyc / max(cyc.sum(), 1.0)
    clock = cpu if net._plan.n_parts == 1 else wall          # one thread: CPU time, steadier on a shared machine
    return {"run_seconds": wall, "cpu_seconds": cpu, "phases_s": {k: float(clock * f) for k, f in zip(PHASES, share)},
            "phases_fraction": {k: float(f) for k, f in zip(PHASES, share)},
            "synaptic_events": net.last_run_stats["synaptic_events"], "steps": net.last_run_stats["steps"]}
