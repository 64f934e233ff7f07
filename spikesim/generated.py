"""Generated Python modules: written once (atomically) to the kernel cache and imported from there.

Used by the backends' drivers (the generated time loops and kernels) and by
:func:`spikesim.neurons.from_brian2` (models built from Brian2 equations), so that ``inspect``,
Numba's on-disk cache and the kernel generators see a real source file. It sits below every
other spikesim package: the model packages import it without importing a backend.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import threading
import types
from pathlib import Path


def cache_dir() -> Path:
    """Where generated modules (and Numba's cache of them) live: ``$SPIKESIM_CACHE_DIR`` or
    ``~/.cache/spikesim/kernels``."""
    d = os.environ.get("SPIKESIM_CACHE_DIR")
    return Path(d) if d else Path.home() / ".cache" / "spikesim" / "kernels"


_IMPORTED: dict[str, types.ModuleType] = {}
_LOCK = threading.Lock()          # threads of one process (dask workers with threads) import one at a time


def import_generated(source: str, prefix: str) -> types.ModuleType:
    """Write generated ``source`` once (atomically) to ``<cache_dir>/<prefix>_<hash>.py`` and
    import it, so ``inspect`` and Numba's on-disk cache see a real file. Safe for several
    processes (the temporary file is named by process and thread) and threads (a lock)."""
    name = f"{prefix}_{hashlib.sha1(source.encode()).hexdigest()[:20]}"
    with _LOCK:
        if name in _IMPORTED:
            return _IMPORTED[name]
        d = cache_dir()
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"{name}.py"
        if not path.exists() or path.read_text() != source:
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(source)
            os.replace(tmp, path)
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        _IMPORTED[name] = mod
        return mod
