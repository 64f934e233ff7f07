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

This module holds the rule's parameters (as the paper's code sets them) and the orthogonal
initialisation, shared by the two engines: the batched update in torch
(:class:`spikesim.nn.hlop.HLOPSubspace`) and the core rule
(:class:`spikesim.plasticity.oja.OjaSubspace`, online per sample, driven by
``spikesim.models.hlop_core``). It imports nothing of spikesim.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

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
