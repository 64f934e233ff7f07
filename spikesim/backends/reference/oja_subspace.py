"""NumPy reference of the batched Oja subspace update (see ``spikesim.plasticity.oja_subspace``).

Slow and obviously right: every line is one line of the rule's pseudo-code.
"""
from __future__ import annotations

import numpy as np


def oja_subspace_update(H: np.ndarray, mom: np.ndarray, X: np.ndarray, n_frozen: int, lr: float,
                        momentum: float, clip: float, iterations: int) -> None:
    """Update H (k, n) and its momentum buffer in place from a batch X (B, n)."""
    B = X.shape[0]
    free = slice(n_frozen, H.shape[0])
    for _ in range(iterations):
        Y = X @ H.T                                   # (B, k) subspace-neuron activity
        residual = X - Y @ H                          # x - H^T y (anti-Hebbian feedback)
        D = np.clip(Y.T @ residual / B, -clip, clip)  # Hebbian term y (x - H^T y)^T
        mom[free] = momentum * mom[free] + (1.0 - momentum) * D[free]
        H[free] += lr * mom[free]

