"""Counter-based random numbers: the same stream on every backend.

A uniform number is a pure function of the key (seed, stream, step, index): no generator state
is carried between steps, so the NumPy reference, the Numba CPU loop and the CUDA kernels draw
bit-identical numbers whatever their loop order or thread layout (the idea of Salmon et al.
2011, "Parallel random numbers: as easy as 1, 2, 3"). The mixing function is SplitMix64
(Steele, Lea & Flood 2014), applied once per key component; it passes BigCrush as a hash of a
counter.

The functions use only uint64 arithmetic (wrapping multiply, xor, shift), so they work on NumPy
uint64 scalars/arrays and compile unchanged with ``numba.njit`` and ``numba.cuda.jit``.
"""
from __future__ import annotations

import math

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TWO_M53 = 1.0 / 9007199254740992.0  # 2**-53


def splitmix64(x):
    """SplitMix64 finaliser of ``x + golden``; uint64 in, uint64 out."""
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def counter_uniform(seed, stream, step, index):
    """A uniform float64 in [0, 1) keyed by (seed, stream, step, index), all uint64."""
    h = splitmix64(seed ^ splitmix64(stream ^ splitmix64(step ^ splitmix64(index))))
    return np.float64(h >> np.uint64(11)) * (1.0 / 9007199254740992.0)


def uniform_array(seed: int, stream: int, step: int, index: np.ndarray) -> np.ndarray:
    """Vectorised :func:`counter_uniform` over an array of indices (NumPy)."""
    with np.errstate(over="ignore"):
        idx = np.asarray(index, dtype=np.uint64)
        h = splitmix64(np.uint64(seed) ^ splitmix64(np.uint64(stream) ^ splitmix64(np.uint64(step) ^ splitmix64(idx))))
        return (h >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def counter_normal(seed, stream, step, index):
    """A standard normal float64 keyed like :func:`counter_uniform` (Box-Muller of the uniforms
    at indices 2*index and 2*index + 1; 1 - u1 lies in (0, 1], so the log is finite)."""
    u1 = counter_uniform(seed, stream, step, index * np.uint64(2))
    u2 = counter_uniform(seed, stream, step, index * np.uint64(2) + np.uint64(1))
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(6.283185307179586 * u2)


def stream_id(name: str, tag: int = 0) -> int:
    """A stable uint64 stream key from a population name (FNV-1a of its UTF-8 bytes) and a tag,
    so adding a population does not change the others' random numbers."""
    h = 0xCBF29CE484222325
    for b in name.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return (h ^ (tag * 0x9E3779B97F4A7C15)) & 0xFFFFFFFFFFFFFFFF


def binomial_from_uniform(u, k, p):
    """Binomial(k, p) by inversion of one uniform u in [0, 1): the smallest c with CDF(c) > u
    (sequential search from c = 0; the pmf is updated by the ratio (k - c) / (c + 1) * p / (1 - p)).
    Plain float arithmetic: every backend returns the same count for the same u."""
    if p <= 0.0:
        return 0
    if p >= 1.0:
        return k
    q = 1.0 - p
    pmf = math.pow(q, k * 1.0)      # libm pow on every backend (no integer-power shortcut)
    cdf = pmf
    c = 0
    ratio = p / q
    while u >= cdf and c < k:
        pmf = pmf * ((k - c) / (c + 1.0)) * ratio
        c += 1
        cdf = cdf + pmf
    return c
