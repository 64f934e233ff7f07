"""Counter-based ziggurat normals (spikesim.rng.ziggurat): the distribution, and the same
numbers from the NumPy reference and the compiled scalar function."""
import math

import numpy as np
from numba import njit

from spikesim.backends.numba_cpu.scalars import znormal
from spikesim.rng.ziggurat import LAYERS, ZIG_F, ZIG_R, ZIG_X, counter_normal_ziggurat


@njit(cache=False)          # the scalars it inlines may change: no stale disk cache
def _draw(n, stream, step):
    out = np.empty(n)
    for i in range(n):
        out[i] = znormal(np.uint64(7), np.uint64(stream), np.uint64(step), np.uint64(i))
    return out


def test_tables_have_equal_area_layers():
    f = lambda x: math.exp(-0.5 * x * x)  # noqa: E731
    v = ZIG_R * f(ZIG_R) + math.sqrt(math.pi / 2) * math.erfc(ZIG_R / math.sqrt(2))
    areas = ZIG_X[1:LAYERS] * (ZIG_F[2:] - ZIG_F[1:LAYERS])
    np.testing.assert_allclose(areas, v, rtol=1e-9)
    assert ZIG_X[-1] == 0.0 and ZIG_F[-1] == 1.0 and abs(ZIG_R - 3.4426198558966) < 1e-9
    assert np.all(np.diff(ZIG_X[1:]) < 0)


def test_distribution_is_standard_normal():
    from scipy import stats
    z = _draw(400_000, 3, 11)
    assert stats.kstest(z, "norm").pvalue > 1e-3
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1.0) < 0.01
    tail = np.mean(np.abs(z) > ZIG_R)          # the tail path: P(|z| > r)
    assert abs(tail - math.erfc(ZIG_R / math.sqrt(2))) < 2e-4


def test_reference_equals_compiled():
    z = _draw(5000, 1, 2)
    with np.errstate(over="ignore"):
        ref = np.array([counter_normal_ziggurat(np.uint64(7), np.uint64(1), np.uint64(2), np.uint64(i))
                        for i in range(5000)])
    np.testing.assert_array_equal(z, ref)
    assert np.any(np.abs(z) > ZIG_R)          # tail draws among them (deterministic keys)
