"""Sums in one fixed order (left to right), for results that must not depend on the machine.

``a @ b`` on NumPy arrays goes to BLAS, whose kernel (chosen for the CPU at run time: Haswell,
Zen, SkylakeX, ...) and blocking decide the order of the additions, so the last bits of a dot
product differ between machines. The readouts and learning rules that promise the same result
bit for bit for the same seed use these instead: every product rounded once, then added in
index order (``np.cumsum`` is sequential), the order of the compiled loops.
"""
from __future__ import annotations

import numpy as np


def seq_sum(x: np.ndarray) -> float:
    """x[0] + x[1] + ... in index order (0.0 for an empty array)."""
    x = np.asarray(x, dtype=np.float64)
    return float(np.cumsum(x)[-1]) if x.size else 0.0


def seq_dot(a: np.ndarray, b: np.ndarray) -> float:
    """sum_i a[i] b[i], added in index order."""
    return seq_sum(np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64))


def seq_matvec(m: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(m @ v)[k] = sum_i m[k, i] v[i] for every row k, each added in index order."""
    m = np.asarray(m, dtype=np.float64)
    if m.shape[1] == 0:
        return np.zeros(m.shape[0])
    return np.cumsum(m * np.asarray(v, dtype=np.float64)[None, :], axis=1)[:, -1]
