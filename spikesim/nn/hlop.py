"""HLOP on the PyTorch side: lateral subspace neurons and the projected weight update.

Xiao, Meng, Zhang, He, Lin (ICLR 2024), "Hebbian Learning based Orthogonal Projection for
Continual Learning of Spiking Neural Networks".

Per layer with presynaptic activity x (n-d) and weights W (m x n), k subspace neurons with
lateral weights H (k x n) compute y = H x and feed back -H^T y. Their weights follow Oja's
subspace rule (see ``spikesim.plasticity.oja_subspace``)::

    dH = eta * y (x - H^T y)^T

While a new task is learned, the synaptic update uses the presynaptic activity after the
lateral circuit of the *old* subspace neurons, x~ = x - H_old^T H_old x::

    dW = -lr * delta x~^T   =   -lr * (delta x^T) (I - H_old^T H_old)

The forward pass is unchanged; since the projection is linear, projecting x per time step, the
rate, or post-multiplying the weight gradient by (I - H_old^T H_old) are the same (the paper's
"weight" projection type). :class:`HLOPSubspace` implements the paper's batched Hebbian update
(iterations, momentum, clipping, frozen old rows, orthonormal init of new rows); the same rule
runs on the event-driven core as ``spikesim.plasticity.OjaSubspace``
(``spikesim.models.hlop_core.CoreSubspace``).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from spikesim.plasticity.oja_subspace import OjaSubspaceRule, orthogonal_rows


class HLOPSubspace(nn.Module):
    """Subspace neurons of one layer: H (k x n_in), momentum, and the count of frozen rows."""

    def __init__(self, n_in: int, rule: OjaSubspaceRule | None = None, dtype=torch.float32):
        super().__init__()
        if int(n_in) != n_in or n_in < 1:
            raise ValueError(f"n_in must be a positive integer, got {n_in!r}")
        self.n_in = int(n_in)
        self.rule = rule or OjaSubspaceRule()
        self.register_buffer("H", torch.zeros(0, self.n_in, dtype=dtype))
        self.register_buffer("mom", torch.zeros(0, self.n_in, dtype=dtype))
        self.n_frozen = 0

    @property
    def k(self) -> int:
        return int(self.H.shape[0])

    def add_subspace(self, k_new: int, rng: np.random.Generator) -> None:
        """Add ``k_new`` free subspace neurons (orthonormal rows, zero momentum)."""
        if int(k_new) != k_new or k_new < 0:
            raise ValueError(f"k_new must be a non-negative integer, got {k_new!r}")
        k_new = min(int(k_new), self.n_in - self.k)
        if k_new <= 0:
            return
        new = torch.as_tensor(orthogonal_rows(k_new, self.n_in, rng), dtype=self.H.dtype)
        self.H = torch.cat([self.H, new], 0)
        self.mom = torch.cat([self.mom, torch.zeros_like(new)], 0)

    def merge(self) -> None:
        """End of a task: every current neuron becomes part of the frozen old-task subspace."""
        self.n_frozen = self.k

    @torch.no_grad()
    def hebbian_update(self, X: torch.Tensor, iterations: int | None = None) -> None:
        """Batched Oja subspace update of the free rows from activity X (rows = samples)."""
        if X.ndim != 2 or X.shape[1] != self.n_in:
            raise ValueError(f"X must have shape (rows, {self.n_in}), got {tuple(X.shape)}")
        if self.k == self.n_frozen:
            return
        r = self.rule
        X = X.to(self.H.dtype)
        H, mom, f = self.H, self.mom, self.n_frozen
        B = X.shape[0]
        for _ in range(iterations or r.iterations):
            Y = X @ H.T
            D = torch.clamp(Y.T @ (X - Y @ H) / B, -r.clip, r.clip)
            mom[f:].mul_(r.momentum).add_(D[f:], alpha=1.0 - r.momentum)
            H[f:].add_(mom[f:], alpha=r.lr)

    def old(self) -> torch.Tensor:
        """The frozen rows H_old used for the projection."""
        return self.H[: self.n_frozen]

    def project_input(self, x: torch.Tensor) -> torch.Tensor:
        """x - H_old^T H_old x for row vectors x (..., n_in)."""
        Ho = self.old().to(x.dtype)
        return x - (x @ Ho.T) @ Ho

    @torch.no_grad()
    def project_weight_grad(self, weight: nn.Parameter) -> None:
        """grad W <- grad W (I - H_old^T H_old), in place (same as using x~ in dW)."""
        if weight.grad is None or self.n_frozen == 0:
            return
        Ho = self.old().to(weight.grad.dtype)
        weight.grad.sub_((weight.grad @ Ho.T) @ Ho)


def paper_k_schedule(task: int, k0=(80, 200, 100), k_inc=(70, 70, 70), k_dec: int = 20,
                     dec_every: int = 3) -> list[int]:
    """Subspace neurons added per layer at ``task`` in the paper's PMNIST code.

    Task 0 adds ``k0``; later tasks add ``k_inc`` reduced by ``k_dec`` at tasks 3, 6, 9, ...
    (PMNIST: [80,200,100], then [70]*3 for tasks 1-2, [50]*3 for 3-5, [30]*3 for 6-8, [10]*3 at 9).
    """
    if task < 0:
        raise ValueError(f"task must be >= 0, got {task}")
    if task == 0:
        return [int(k) for k in k0]
    dec = k_dec * (task // dec_every) if dec_every > 0 else 0
    return [max(int(k) - dec, 0) for k in k_inc]


def scale_k(k_paper: list[int], dims: list[int], paper_dims=(784, 800, 800), factor: float = 1.0) -> list[int]:
    """Scale a per-layer k from the paper's 784-800-800 MLP to layers of size ``dims``."""
    if len(k_paper) != len(dims):
        raise ValueError(f"k schedule has {len(k_paper)} layers but the network has {len(dims)}")
    out = []
    for k, n, n_ref in zip(k_paper, dims, paper_dims):
        v = int(round(k * factor * n / n_ref))
        out.append(max(v, 1) if k > 0 else 0)
    return out
