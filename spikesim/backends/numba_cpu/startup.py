"""Numba's start in a process: imported, its CPU target set up once, and its objects kept out
of Python's cyclic garbage collector.

A small script spends most of its time starting Numba, not simulating (4,000 LIF neurons for
100 ms: a 0.02 s loop in a 1.5 s process). Measured on the project's 2-core machine:
importing numba 0.25 s; the CPU target's first-use setup, which every compile and every load
of a cached kernel starts with, 0.3 s (it imports scipy.linalg, cffi, ...); and Python's cyclic
garbage collector walking the several hundred thousand objects these create: 0.2 s of
collections during the script and 0.35 s in the collections the interpreter runs at exit.

:func:`start` (idempotent; called when a numba-backend network is created and before a kernel
is loaded) imports numba and runs the setup with the collector paused, then moves every object
alive at that moment to the collector's permanent generation (:func:`gc.freeze`): these are
interpreter, library and module objects that live until the process ends, and collections no
longer walk them (the exit's collections then take about 0.05 s). Reference counting still
frees every object as usual; what is skipped is only the search for garbage *cycles* among the
frozen objects (a cycle that was already garbage at that moment is kept until the process
ends). ``SPIKESIM_GC_FREEZE=0`` turns the freeze off (the setup still runs).
"""
from __future__ import annotations

import gc
import os
import threading

_DONE = False
_LOCK = threading.Lock()


def start() -> None:
    """Import numba, run its CPU target's first-use setup (once per process) and freeze the
    objects then alive out of the cyclic collector (unless ``SPIKESIM_GC_FREEZE=0``)."""
    global _DONE
    if _DONE:
        return
    with _LOCK:
        if _DONE:
            return
        enabled = gc.isenabled()
        gc.disable()
        try:
            import numba  # noqa: F401
            _setup_cpu_target()
            if os.environ.get("SPIKESIM_GC_FREEZE", "1") != "0":
                gc.freeze()         # before the collector runs again: its first run would walk them all
        finally:
            if enabled:
                gc.enable()
        _DONE = True


def _setup_cpu_target() -> None:
    """The setup Numba runs before its first compile or cache load (``BaseContext.refresh``:
    the typing and lowering registries). Numba internals: if they move, the setup simply
    happens at the first kernel load instead, as without this function."""
    try:
        from numba.core.compiler_lock import global_compiler_lock
        from numba.core.registry import cpu_target
    except ImportError:  # pragma: no cover - another Numba layout
        return
    with global_compiler_lock:
        cpu_target.target_context.refresh()
