"""spikesim.kernel_math: accuracy, special values, and the same bits in Python and in a Numba
loop (the source the drivers compile), which also vectorises."""
import math
import platform
import re

import numpy as np
import pytest
from numba import njit

from spikesim import kernel_math as km
from spikesim.backends.codegen import function_source
from spikesim.backends.numba_cpu.driver import _decorate

SPECIAL = [0.0, -0.0, 1e-300, -1e-300, 5e-324, 1e-10, -1e-10, 0.34657359027997264, -0.34657359027997264,
           709.78, 709.782712893384, 709.79, 710.0, -708.4, -720.0, -745.1, -745.2, -746.0, -800.0,
           math.inf, -math.inf, math.nan]


def _points(seed=0, n=4000):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.uniform(-745.0, 709.7, n), rng.uniform(-2.0, 2.0, n),
                           rng.uniform(-1e-5, 1e-5, n // 4), np.array(SPECIAL)])


def _compiled(fn):
    src, imports = function_source(fn, "kfn", "km", "test")
    src = _decorate(src, "@njit(inline='always', error_model='numpy')")       # as the CPU driver does
    ns = {}
    exec("import math\nimport numpy as np\nfrom numba import njit\n" + "\n".join(sorted(imports)) + "\n" + src, ns)
    kfn = ns["kfn"]

    @njit(error_model="numpy")
    def loop(x, out):
        for i in range(x.size):
            out[i] = kfn(x[i])
    return loop


def _ulps(got, exact):
    """|got - exact| in units of the last place of exact (mpmath values)."""
    import mpmath
    return float(abs(mpmath.mpf(float(got)) - exact) / mpmath.mpf(float(np.spacing(abs(float(exact))))))


@pytest.mark.parametrize("name,bound", [("exp", 1.0), ("expm1", 2.0)])
def test_accuracy_against_mpmath(name, bound):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    fn, exact_fn = getattr(km, name), getattr(mpmath, name)
    worst = 0.0
    for x in _points(1, 1500):
        if not math.isfinite(x):
            continue
        exact = exact_fn(mpmath.mpf(float(x)))
        if abs(exact) > 1.7976931348623157e308 or abs(exact) < 2.2250738585072014e-308:
            continue                                  # overflow / subnormal: checked with the special values
        worst = max(worst, _ulps(fn(float(x)), exact))
    assert worst <= bound, f"{name}: {worst:.3f} ulp"


def test_special_values():
    assert km.exp(0.0) == 1.0 and km.expm1(0.0) == 0.0
    assert km.exp(math.inf) == math.inf and km.exp(-math.inf) == 0.0
    assert km.expm1(math.inf) == math.inf and km.expm1(-math.inf) == -1.0
    assert math.isnan(km.exp(math.nan)) and math.isnan(km.expm1(math.nan))
    assert km.exp(710.0) == math.inf and km.expm1(710.0) == math.inf
    assert km.exp(709.78) == math.exp(709.78) or abs(km.exp(709.78) / math.exp(709.78) - 1) < 3e-16
    assert km.exp(-746.0) == 0.0 and km.expm1(-50.0) == math.expm1(-50.0) == -1.0 + 0.0
    # the subnormal range is rounded once, as libm does (within one subnormal step)
    for x in (-720.0, -740.0, -745.0):
        assert abs(km.exp(x) - math.exp(x)) <= 5e-324
    assert km.expm1(1e-300) == 1e-300 and km.expm1(-1e-10) == math.expm1(-1e-10)


def test_close_to_libm_everywhere():
    x = _points(2)
    x = x[(x > -700.0) & (x < 709.0)]                       # normal, finite results
    for name, bound in (("exp", 2), ("expm1", 3)):
        got = np.array([getattr(km, name)(float(v)) for v in x])
        ref = np.array([getattr(math, name)(float(v)) for v in x])
        err = np.abs(got - ref) / np.spacing(np.abs(ref))
        assert err.max() <= bound, f"{name}: {err.max()} ulp from libm"


@pytest.mark.parametrize("name", ["exp", "expm1"])
def test_numba_loop_gives_the_python_bits(name):
    x = _points(3)
    loop = _compiled(getattr(km, name))
    out = np.empty_like(x)
    loop(x, out)
    py = np.array([getattr(km, name)(float(v)) for v in x])
    assert np.array_equal(out, py, equal_nan=True)
    assert np.array_equal(np.signbit(out), np.signbit(py))


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="checks x86 packed instructions")
def test_numba_loop_vectorises():
    loop = _compiled(km.exp)
    x = np.linspace(-5.0, 5.0, 64)
    loop(x, np.empty_like(x))
    asm = loop.inspect_asm(loop.signatures[0])
    assert re.search(r"\bv?mulpd\b", asm), "the exp loop was not vectorised"
    assert not re.findall(r"\$(\w*exp\w*)", asm), "the exp loop calls a library exp"
