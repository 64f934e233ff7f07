"""Scalar helpers of the generated CPU loop: the counter-based random numbers
(:mod:`spikesim.rng.counter`) and the short-term-plasticity spike update (:mod:`spikesim.synapses.stp`)."""
from numba import njit

from spikesim.backends.scalar import compile_scalar
from spikesim.rng.counter import binomial_from_uniform, counter_normal, counter_uniform, splitmix64
from spikesim.rng.ziggurat import counter_normal_ziggurat, step_key, ziggurat_from_key
from spikesim.synapses.stp import tsodyks_markram_spike

_inline = njit(inline="always", cache=True)
_splitmix64 = compile_scalar(splitmix64, _inline)
uniform = compile_scalar(counter_uniform, _inline, splitmix64=_splitmix64)
normal = compile_scalar(counter_normal, _inline, counter_uniform=uniform)
zkey = compile_scalar(step_key, _inline, splitmix64=_splitmix64)
zfrom = compile_scalar(ziggurat_from_key, _inline, splitmix64=_splitmix64)
znormal = compile_scalar(counter_normal_ziggurat, _inline, step_key=zkey, ziggurat_from_key=zfrom)
binomial = compile_scalar(binomial_from_uniform, _inline)
stp_spike = compile_scalar(tsodyks_markram_spike, _inline)
