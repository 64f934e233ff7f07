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

The setup also imports ``scipy.linalg`` (0.3-0.45 s: with it NumPy's f2py and scipy's array-API
layer), only to find out whether a BLAS exists (``numba.np.arraymath._HAVE_BLAS``, which picks
how ``np.correlate``/``np.convolve`` are compiled; every BLAS-backed function such as ``np.dot``
imports ``scipy.linalg.cython_blas`` itself when it is first compiled). The kernels use no
BLAS, so :func:`start` runs the setup with the ``scipy`` import refused (when scipy is not
imported yet) and then sets ``_HAVE_BLAS`` to whether scipy is installed (found without importing
it): Numba then behaves as after its own check, without paying for the import until a function
needs BLAS. ``SPIKESIM_LAZY_SCIPY=0`` turns this off.
"""
from __future__ import annotations

import contextlib
import gc
import importlib.util
import os
import sys
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
            with _scipy_deferred():
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


class _RefuseImport:
    """A meta-path finder that refuses one top-level package to the thread that installed it
    (other threads import it as usual) while it is installed."""

    def __init__(self, name: str):
        self.name, self.refused, self.thread = name, False, threading.get_ident()

    def find_spec(self, fullname, path=None, target=None):
        if threading.get_ident() == self.thread and (fullname == self.name or fullname.startswith(self.name + ".")):
            self.refused = True
            raise ModuleNotFoundError(f"{fullname} deferred by spikesim's Numba start", name=fullname)
        return None


@contextlib.contextmanager
def _scipy_deferred():
    """Inside, ``import scipy`` fails in this thread; afterwards Numba's BLAS flag is what its
    own check would have found (see the module docstring)."""
    if os.environ.get("SPIKESIM_LAZY_SCIPY", "1") == "0" or "scipy" in sys.modules:
        yield
        return
    finder = _RefuseImport("scipy")
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        if finder.refused:
            try:
                from numba.np import arraymath
            except ImportError:  # pragma: no cover - another Numba layout
                arraymath = None
            if hasattr(arraymath, "_HAVE_BLAS"):
                arraymath._HAVE_BLAS = importlib.util.find_spec("scipy") is not None
