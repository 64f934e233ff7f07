"""The counter-based random numbers (:mod:`spikesim.rng.counter`) compiled for the CPU loop."""
from numba import njit

from spikesim.backends.scalar import compile_scalar
from spikesim.rng.counter import counter_normal, counter_uniform, splitmix64

_inline = njit(inline="always", cache=True)
_splitmix64 = compile_scalar(splitmix64, _inline)
uniform = compile_scalar(counter_uniform, _inline, splitmix64=_splitmix64)
normal = compile_scalar(counter_normal, _inline, counter_uniform=uniform)
