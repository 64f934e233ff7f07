"""Oja's subspace rule as used by HLOP (Xiao et al., ICLR 2024) for lateral "subspace neurons".

Rule (Oja 1989; HLOP section 3.2). k subspace neurons read the presynaptic activity x (n-d)
through lateral weights H (k x n), y = H x, and feed back -H^T y, so that the residual
x - H^T y reaches the synapses (Hebbian + anti-Hebbian)::

    dH = eta * y (x - H^T y)^T = eta * (y x^T - y y^T H)

It converges to orthonormal rows of H spanning the top-k principal subspace of the uncentred
correlation E[x x^T]. Batched as in the paper's code (HLOP-SNN, ``modules/hlop_module.py``):
for a batch X (B x n, one row per sample or per time step), repeated ``iterations`` times::

    Y    = X H^T                                  (B x k)
    D    = clip(Y^T (X - Y H) / B, -clip, clip)   (k x n)
    D[frozen] = 0
    Mom[free] = m * Mom[free] + (1 - m) * D[free] (momentum m = 0.9)
    H[free]  += eta * Mom[free]

Frozen rows (the subspace of old tasks, always the first ``n_frozen`` rows) still take part in
Y and in the reconstruction Y H, so new rows learn the residual subspace orthogonal to them.
New rows are initialised orthonormal among themselves (``torch.nn.init.orthogonal_`` in the
paper's code; here a QR decomposition of a Gaussian matrix) with zero momentum.

This module holds the rule's parameters, its state and the orthogonal initialisation; the
batched update is a kernel in ``spikesim.backends.reference.oja_subspace`` (NumPy) and
``spikesim.backends.numba_cpu.oja_subspace`` (Numba, also on spike trains / traces). It imports
nothing of spikesim.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class OjaSubspaceRule:
    """Parameters: learning rate ``lr`` (eta), ``momentum`` m, ``clip`` on the batch update,
    ``iterations`` per batch. Defaults = the paper's code (lr 0.01; 0.001 for 784-d inputs)."""

    lr: float = 0.01
    momentum: float = 0.9
    clip: float = 10.0
    iterations: int = 5

    def __post_init__(self):
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive finite number, got {self.lr!r}")
        if not (0.0 <= self.momentum < 1.0):
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum!r}")
        if not (self.clip > 0):
            raise ValueError(f"clip must be positive, got {self.clip!r}")
        if int(self.iterations) != self.iterations or self.iterations < 1:
            raise ValueError(f"iterations must be a positive integer, got {self.iterations!r}")


def orthogonal_rows(k: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """A (k, n) matrix with orthonormal rows (k <= n) or orthonormal columns (k > n)."""
    if k < 0 or n < 1:
        raise ValueError(f"orthogonal_rows needs k >= 0 and n >= 1, got k={k}, n={n}")
    a = rng.standard_normal((max(k, n), min(k, n)))
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))[None, :]
    return q.T if k <= n else q


@dataclass
class SubspaceState:
    """H (k x n), its momentum buffer and the number of frozen (old-task) leading rows."""

    n_in: int
    H: np.ndarray = field(default=None)
    momentum: np.ndarray = field(default=None)
    n_frozen: int = 0

    def __post_init__(self):
        if int(self.n_in) != self.n_in or self.n_in < 1:
            raise ValueError(f"n_in must be a positive integer, got {self.n_in!r}")
        if self.H is None:
            self.H = np.zeros((0, self.n_in))
        self.H = np.ascontiguousarray(self.H, dtype=np.float64)
        if self.H.ndim != 2 or self.H.shape[1] != self.n_in:
            raise ValueError(f"H must have shape (k, {self.n_in}), got {self.H.shape}")
        if self.momentum is None:
            self.momentum = np.zeros_like(self.H)
        self.momentum = np.ascontiguousarray(self.momentum, dtype=np.float64)
        if self.momentum.shape != self.H.shape:
            raise ValueError("momentum must have the shape of H")
        if not (0 <= self.n_frozen <= self.H.shape[0]):
            raise ValueError(f"n_frozen must be in [0, {self.H.shape[0]}], got {self.n_frozen}")

    @property
    def k(self) -> int:
        return self.H.shape[0]

    def add_rows(self, k_new: int, rng: np.random.Generator) -> None:
        """Append ``k_new`` free rows, orthonormal among themselves, with zero momentum."""
        if int(k_new) != k_new or k_new < 0:
            raise ValueError(f"k_new must be a non-negative integer, got {k_new!r}")
        if k_new == 0:
            return
        self.H = np.ascontiguousarray(np.vstack([self.H, orthogonal_rows(int(k_new), self.n_in, rng)]))
        self.momentum = np.ascontiguousarray(np.vstack([self.momentum, np.zeros((int(k_new), self.n_in))]))

    def freeze(self) -> None:
        """Freeze all current rows (end of a task: they become the old tasks' subspace)."""
        self.n_frozen = self.k


def check_batch(X: np.ndarray, n_in: int, name: str = "X") -> np.ndarray:
    """Validate a batch of presynaptic activity, (B, n_in), finite; returns float64 C-array."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != n_in:
        raise ValueError(f"{name} must have shape (batch, {n_in}), got {X.shape}")
    if X.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or inf")
    return np.ascontiguousarray(X)
