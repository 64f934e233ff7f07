"""Backends: ``reference`` (NumPy), ``numba`` (CPU), ``cuda`` (numba-cuda).

Each backend module provides ``run_steps(...)`` with the contract of
:func:`spikesim.backends.numba_cpu.core.run_steps`; they are imported lazily.

The network drives a backend through a *runner* (:func:`make_runner`): ``runner.run_steps(step0,
step1, spk_step, spk_gid, rec_buf, rec_count) -> (status, next_step)`` advances the plan and fills
the monitor arrays; ``runner.sync_to_host()`` makes ``plan.state`` current. A backend module may
provide its own ``make_runner`` (the cuda backend keeps every array on the device across chunks);
otherwise :class:`HostRunner` calls its ``run_steps`` on the plan's host arrays.
"""
from __future__ import annotations

import importlib

import numpy as np

BACKENDS = ("reference", "numba", "cuda")
_MODULES = {"reference": "spikesim.backends.reference.core", "numba": "spikesim.backends.numba_cpu.core",
            "cuda": "spikesim.backends.numba_cuda.core"}
CUDA_HINT = ('install the GPU extra with `pip install -e ".[cuda]"` (numba-cuda), or, to test on a machine '
             'without a GPU, set NUMBA_ENABLE_CUDASIM=1 before Python imports numba (the CUDA simulator: '
             'correct but very slow, for tiny networks only)')


class BackendUnavailableError(RuntimeError):
    pass


def check_name(name: str) -> str:
    """Validate a backend name; for ``"cuda"`` also check that a GPU (or the simulator) is usable."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; use one of {BACKENDS}")
    if name == "cuda":
        load(name)
    return name


def load(name: str):
    """Import and return the module of backend ``name`` (clear error when unavailable)."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; use one of {BACKENDS}")
    try:
        mod = importlib.import_module(_MODULES[name])
    except ImportError as exc:
        if name == "cuda":
            raise BackendUnavailableError(f"backend 'cuda' is unavailable: numba-cuda cannot be imported "
                                          f"({exc}); {CUDA_HINT}") from exc
        raise
    if name == "cuda":
        reason = mod.unavailable_reason()
        if reason is not None:
            raise BackendUnavailableError(f"backend 'cuda' is unavailable: {reason}; {CUDA_HINT}")
    return mod


class HostRunner:
    """Runs a CPU backend's ``run_steps`` on the plan's own (host) arrays."""

    def __init__(self, mod, plan, rec_spike, rec_var, rec_gid, rec_every):
        self.mod, self.plan = mod, plan
        self.rec = (rec_spike, rec_var, rec_gid, rec_every)
        self.spike_list = np.zeros(plan.n_total, dtype=np.int64)
        self.current = np.zeros(plan.n_total)

    def run_steps(self, step0, step1, spk_step, spk_gid, rec_buf, rec_count):
        p = self.plan
        rec_spike, rec_var, rec_gid, rec_every = self.rec
        return self.mod.run_steps(
            step0, step1, p.seed, p.pop_kind, p.pop_start, p.pop_stop, p.pop_flag, p.params, p.state,
            p.I_const, p.I_time, p.I_time_gid, p.src_step, p.src_gid, p.src_off, p.indptr, p.post, p.w,
            p.delay, p.syn_ring, p.ring, p.ring_target, rec_spike, spk_step, spk_gid, rec_var,
            rec_gid, rec_every, rec_buf, rec_count, p.counters, self.spike_list, self.current, p.dt,
            p.syn_rule, p.syn_pre, p.rules, p.x_pre, p.x_post, p.elig, p.modulator, p.post_indptr, p.post_syn,
            p.mod_syn, p.row_delay, p.row_ring)

    def sync_to_host(self):
        pass


def make_runner(name: str, plan, rec_spike, rec_var, rec_gid, rec_every):
    """A runner for backend ``name`` over ``plan`` with the given monitor tables."""
    mod = load(name)
    if hasattr(mod, "make_runner"):
        return mod.make_runner(plan, rec_spike, rec_var, rec_gid, rec_every)
    return HostRunner(mod, plan, rec_spike, rec_var, rec_gid, rec_every)
