"""Compile the plain scalar maths (neurons, plasticity, rng) for a Numba target.

The scalar functions in :mod:`spikesim.neurons`, :mod:`spikesim.plasticity` and
:mod:`spikesim.rng` are ordinary Python. :func:`compile_scalar` compiles one of them with a
given decorator (``njit(inline="always")`` for the CPU, ``cuda.jit(device=True)`` for the GPU)
after re-binding the names of the other scalar functions it calls to their compiled versions,
so one source of truth serves every backend.
"""
from __future__ import annotations

import types
from typing import Callable


def compile_scalar(fn: Callable, decorator: Callable, **callees: Callable) -> Callable:
    """``decorator(fn)`` with the global names in ``callees`` replaced by compiled callees."""
    if callees:
        glb = dict(fn.__globals__)
        glb.update(callees)
        fn = types.FunctionType(fn.__code__, glb, fn.__name__, fn.__defaults__, fn.__closure__)
    return decorator(fn)
