"""Backends: ``reference`` (NumPy), ``numba`` (CPU), ``cuda`` (numba-cuda).

Each backend module provides ``make_runner(plan)``; they are imported lazily. The network
drives a backend through that *runner*: ``runner.run_steps(step0, step1, spk_step, spk_gid,
rec_buf, rec_count) -> (status, next_step)`` advances the plan and fills the monitor arrays
(status codes in :mod:`spikesim.backends.contract`); ``runner.sync_to_host()`` makes the plan's
state arrays current (the cuda backend keeps every array on the device across chunks).
"""
from __future__ import annotations

import importlib

BACKENDS = ("reference", "numba", "cuda")
_MODULES = {"reference": "spikesim.backends.reference.core", "numba": "spikesim.backends.numba_cpu.core",
            "cuda": "spikesim.backends.numba_cuda.core"}
#: what to do when the cuda backend is unavailable (the one hint, used wherever that is detected)
CUDA_HINT = ('install the GPU extra with `pip install -e ".[cuda]"` (numba-cuda; add `numba-cuda[cu12]` or '
             '`[cu13]` to match your driver), or, to test on a machine without a GPU, set NUMBA_ENABLE_CUDASIM=1 '
             'before Python imports numba (the CUDA simulator: correct but very slow, for tiny networks only)')


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


def make_runner(name: str, plan):
    """A runner for backend ``name`` over ``plan`` (its monitors included)."""
    return load(name).make_runner(plan)
