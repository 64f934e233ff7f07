"""The counter-based stream: identical in NumPy and Numba, and uniform."""
import numpy as np
from numba import njit

from spikesim.backends.scalar import compile_scalar
from spikesim.rng.counter import counter_uniform, splitmix64, uniform_array


def test_numba_and_numpy_draw_the_same_numbers():
    sm = njit(inline="always")(splitmix64)
    u = compile_scalar(counter_uniform, njit, splitmix64=sm)

    @njit
    def draw(seed, stream, step, n):
        out = np.empty(n)
        for i in range(n):
            out[i] = u(np.uint64(seed), np.uint64(stream), np.uint64(step), np.uint64(i))
        return out

    for seed, stream, step in [(0, 0, 0), (1, 2, 3), (2**40, 7, 10**9)]:
        np.testing.assert_array_equal(draw(seed, stream, step, 1000), uniform_array(seed, stream, step, np.arange(1000)))


def test_uniformity_and_independence_of_keys():
    u = uniform_array(3, 1, 5, np.arange(200_000))
    hist, _ = np.histogram(u, bins=20, range=(0, 1))
    chi2 = ((hist - 10_000) ** 2 / 10_000).sum()
    assert chi2 < 60        # 19 dof: p < 1e-6 beyond this
    assert u.min() >= 0 and u.max() < 1
    v = uniform_array(3, 1, 6, np.arange(200_000))     # next step
    assert abs(np.corrcoef(u, v)[0, 1]) < 0.01
