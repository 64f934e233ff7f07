"""Elementary functions for model code: ``exp`` and ``expm1`` that give the same bits on every
backend and let Numba vectorise the loop that calls them.

A model's ``update`` that calls ``math.exp`` is compiled to a call of the C library's ``exp``
on the CPU (one neuron at a time: LLVM cannot vectorise a loop around an opaque call) and to
libdevice's ``exp`` on a GPU (which may differ in the last bit). The functions here are plain
arithmetic (IEEE-754 double additions and multiplications, no fused multiply-add; the CUDA
driver compiles without contraction), so:

- the NumPy reference (which runs them as Python), the Numba CPU loop and the CUDA kernel give
  bit-identical results;
- the Numba CPU loop over a population's neurons vectorises (AVX2: 4 neurons per instruction),
  which is what makes the Hodgkin-Huxley update (ten exponentials per neuron and step) fast.

Method (the textbook one, e.g. Muller, *Elementary Functions*, ch. 11; Cody & Waite 1980):
x = n ln2 + r with n = round(x / ln2) and |r| <= ln2 / 2 (ln2 split in two parts, the first
with trailing zero bits so that n * LN2_HI is exact); expm1(r) by its Taylor series to r^13
(truncation < 5e-18 relative); exp(x) = (1 + expm1(r)) 2^n, expm1(x) = 2^n expm1(r) + (2^n - 1)
arranged so that each result is rounded about once. 2^n is built from its bits, as two factors
so that results in the subnormal range are rounded once, as ``math.ldexp`` would.

Accuracy against the exact value (mpmath; 42,000 points over the whole range and near 0 when
this was written: exp <= 0.91 ulp, expm1 <= 1.8 ulp; ``tests/test_kernel_math.py`` checks 3,400
of them against the bounds 1 and 2 ulp; the C library: < 1 ulp for both). Special values: exp(inf) = inf, exp(-inf) = 0, expm1(-inf) = -1, overflow above
709.78 gives inf, NaN gives NaN.
"""
from __future__ import annotations

import math

import numpy as np

INV_LN2 = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01          # 0x3fe62e42fee00000: n * LN2_HI is exact for |n| < 2^11
LN2_LO = 1.90821492927058770002e-10
SHIFTER = 6755399441055744.0                 # 1.5 * 2^52: (y + SHIFTER) - SHIFTER rounds y to an integer
X_OVERFLOW = 709.782712893384                # exp(x) > DBL_MAX above this
X_HIGH = 709.79                              # clamp before the reduction (keeps n an int in range)
X_LOW = -746.0                               # exp(X_LOW) rounds to 0, expm1(X_LOW) to -1
C2, C3, C4, C5, C6, C7 = 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040
C8, C9, C10 = 1.0 / 40320, 1.0 / 362880, 1.0 / 3628800
C11, C12, C13 = 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800


def pow2(k):
    """2.0 ** k for an integer -1022 <= k <= 1023, from its bits (a Python float in Python, so
    that overflow to inf is silent as in the compiled loops)."""
    return float(np.int64((k + 1023) << 52).view(np.float64))


def reduce(x):
    """(n, expm1(r)) with x = n ln2 + r, |r| <= ln2 / 2; x is clamped to [X_LOW, X_HIGH]."""
    xc = x if x < X_HIGH else X_HIGH
    xc = xc if xc > X_LOW else X_LOW
    nf = (xc * INV_LN2 + SHIFTER) - SHIFTER
    r = (xc - nf * LN2_HI) - nf * LN2_LO
    p = C11 + r * (C12 + r * C13)
    p = C7 + r * (C8 + r * (C9 + r * (C10 + r * p)))
    p = C2 + r * (C3 + r * (C4 + r * (C5 + r * (C6 + r * p))))
    return int(nf), r + r * r * p


def exp(x):
    """e ** x, the same bits on every backend (<= 1 ulp)."""
    n, q = reduce(x)
    h = n >> 1
    y = (1.0 + q) * pow2(h) * pow2(n - h)
    y = math.inf if x > X_OVERFLOW else y
    return x if x != x else y


def expm1(x):
    """e ** x - 1, accurate near 0, the same bits on every backend (<= 2 ulp)."""
    n, q = reduce(x)
    h = n >> 1
    up = (q + (1.0 - pow2(-min(max(n, 0), 60)))) * pow2(h) * pow2(n - h)      # n >= 0
    s = pow2(max(min(n, 0), -60))
    down = s * q + (s - 1.0)                                                   # n < 0
    y = up if n >= 0 else down
    y = math.inf if x > X_OVERFLOW else y
    return x if x != x else y
