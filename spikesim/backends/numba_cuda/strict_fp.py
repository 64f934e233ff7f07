"""Keep GPU floating point identical to the CPU's: no fused multiply-add contraction.

numba-cuda compiles without fastmath but leaves libNVVM at its default ``-fma=1``, which fuses
``a * b + c`` into one FMA with a single rounding: results then differ from the CPU backends
(which round after every + and *) in the last bits, and chaotic networks diverge. While
:func:`strict_fp` is active, every NVVM compilation without fastmath gets ``fma=False``
(``-fma=0``); other numba-cuda users in the process are not affected outside the block.
Under the CUDA simulator (Python arithmetic, no NVVM) it does nothing.
"""
from __future__ import annotations

import contextlib
import threading

_lock = threading.RLock()


@contextlib.contextmanager
def strict_fp():
    try:
        from numba.cuda.cudadrv import nvvm
    except Exception:       # simulator or no toolkit: nothing is compiled by NVVM
        yield
        return
    with _lock:
        original = nvvm.compile_ir

        def compile_ir(llvmir, **options):
            if not options.get("fastmath", False):
                options.setdefault("fma", False)
            return original(llvmir, **options)

        nvvm.compile_ir = compile_ir
        try:
            yield
        finally:
            nvvm.compile_ir = original
