"""Backends: ``reference`` (NumPy), ``numba`` (CPU), ``cuda`` (numba-cuda).

Each backend module provides ``run_steps(...)`` with the contract of
:func:`spikesim.backends.numba_cpu.core.run_steps`; they are imported lazily.
"""
from __future__ import annotations

import importlib

BACKENDS = ("reference", "numba", "cuda")
_MODULES = {"reference": "spikesim.backends.reference.core", "numba": "spikesim.backends.numba_cpu.core",
            "cuda": "spikesim.backends.numba_cuda.core"}


class BackendUnavailableError(RuntimeError):
    pass


def check_name(name: str) -> str:
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; use one of {BACKENDS}")
    return name


def load(name: str):
    """Import and return the module of backend ``name`` (clear error when unavailable)."""
    check_name(name)
    try:
        return importlib.import_module(_MODULES[name])
    except ModuleNotFoundError as exc:
        if name == "cuda":
            raise BackendUnavailableError(
                "backend 'cuda' is not available in this version of spikesim") from exc
        raise
