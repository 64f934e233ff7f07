"""Continual-learning metrics (Lopez-Paz & Ranzato 2017; as computed in GPM's and HLOP's code).

R[t, i] is the test accuracy on task i after training tasks 0..t (a fraction in [0, 1]); entries
with i > t (tasks not yet seen) may be NaN.

    ACC = (1/T) sum_i R[T-1, i]
    BWT = (1/(T-1)) sum_{i < T-1} (R[T-1, i] - R[i, i])
"""
from __future__ import annotations

import numpy as np


def _check(R) -> np.ndarray:
    R = np.asarray(R, dtype=np.float64)
    if R.ndim != 2 or R.shape[0] != R.shape[1] or R.shape[0] == 0:
        raise ValueError(f"accuracy matrix R must be square (T, T) with T >= 1, got shape {R.shape}")
    lower = R[np.tril_indices(R.shape[0])]
    if not np.all(np.isfinite(lower)):
        raise ValueError("accuracy matrix R has NaN/inf on or below the diagonal")
    if np.any(lower < 0) or np.any(lower > 1):
        raise ValueError("accuracy matrix R must hold fractions in [0, 1]")
    return R


def average_accuracy(R) -> float:
    """ACC: mean of the last row (final accuracy over all tasks)."""
    R = _check(R)
    return float(R[-1].mean())


def backward_transfer(R) -> float:
    """BWT: mean over i < T-1 of R[T-1, i] - R[i, i]; 0.0 for a single task."""
    R = _check(R)
    T = R.shape[0]
    if T == 1:
        return 0.0
    return float(np.mean(R[-1, :-1] - np.diag(R)[:-1]))


def forgetting_curve(R, task: int = 0) -> np.ndarray:
    """Accuracy on ``task`` after each training stage t >= task (R[task:, task])."""
    R = _check(R)
    if not 0 <= task < R.shape[0]:
        raise ValueError(f"task must be in [0, {R.shape[0]}), got {task}")
    return R[task:, task].copy()


def new_accuracy_matrix(n_tasks: int) -> np.ndarray:
    """A (T, T) matrix of NaN to fill row by row."""
    if int(n_tasks) != n_tasks or n_tasks < 1:
        raise ValueError(f"n_tasks must be a positive integer, got {n_tasks!r}")
    return np.full((int(n_tasks), int(n_tasks)), np.nan)
