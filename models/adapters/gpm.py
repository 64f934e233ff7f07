"""Gradient projection memory (Saha, Garg, Roy, ICLR 2021) for the continual paradigm.

After task t, for every projected layer, the representation matrix R = [x_1 ... x_N] (n x N) of
the presynaptic activity of ``samples`` random training inputs (rates for DSR, per-step spikes
for BPTT, activations for the ReLU MLP) extends the layer's orthonormal basis M:

* first task: R = U S V^T; keep the smallest r with sum_{i<=r} s_i^2 >= eps ||R||_F^2.
* later tasks: R^ = R - M M^T R = U^ S^ V^^T; add columns of U^ (largest first) until
  ||M M^T R||_F^2 + sum_{i<=r} s^_i^2 >= eps ||R||_F^2; M <- [M, U^_r] (at most n columns).

While a new task is learned every weight gradient is projected: grad W <- grad W - grad W M M^T.
Thresholds eps per layer default to GPM's PMNIST values [0.95, 0.99, 0.99]. The shared head is
projected; per-task heads are not.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from spikesim.train.continual import ContinualLearner


def extend_basis(M: np.ndarray | None, R: np.ndarray, eps: float) -> np.ndarray:
    """GPM's basis update for one layer; R is (n, N), M is (n, r) or None."""
    if not 0 < eps <= 1:
        raise ValueError(f"threshold eps must be in (0, 1], got {eps!r}")
    n = R.shape[0]
    total = float((R ** 2).sum())
    if total == 0:
        return np.zeros((n, 0)) if M is None else M
    if M is None or M.shape[1] == 0:
        U, S, _ = np.linalg.svd(R, full_matrices=False)
        ratio = S ** 2 / total
        r = min(int(np.sum(np.cumsum(ratio) < eps)) + 1, len(S))
        return U[:, :r].copy()
    R_hat = R - M @ (M.T @ R)
    U, S, _ = np.linalg.svd(R_hat, full_matrices=False)
    accumulated = (total - float((S ** 2).sum())) / total
    r = 0
    for s2 in S ** 2 / total:
        if accumulated >= eps:
            break
        accumulated += s2
        r += 1
    return np.hstack([M, U[:, :r]])[:, :n]


class GPMLearner(ContinualLearner):
    method = "gpm"

    def __init__(self, net, *, thresholds: Sequence[float] = (0.95, 0.99, 0.99), samples: int = 300, **kw):
        super().__init__(net, **kw)
        self.layers = self.net.linears if not self.multi_head else self.net.linears[:-1]
        if len(thresholds) < len(self.layers):
            raise ValueError(f"thresholds needs {len(self.layers)} values, got {list(thresholds)}")
        if int(samples) != samples or samples < 1:
            raise ValueError(f"samples must be a positive integer, got {samples!r}")
        self.thresholds = [float(e) for e in thresholds[:len(self.layers)]]
        self.samples = int(samples)
        self.bases: list[np.ndarray | None] = [None] * len(self.layers)
        self._proj: list[torch.Tensor | None] = [None] * len(self.layers)

    def transform_grads(self, t: int) -> None:
        for lin, P in zip(self.layers, self._proj):
            if P is not None and lin.weight.grad is not None:
                lin.weight.grad.sub_(lin.weight.grad @ P)

    @torch.no_grad()
    def end_task(self, t, x, y) -> None:
        n = min(self.samples, len(x))
        idx = torch.randperm(len(x), generator=self.torch_gen)[:n]
        self.net.eval()
        _, presyn = self.net(x[idx], task=self._task_arg(t))
        self.net.train()
        for l, (act, eps) in enumerate(zip(presyn, self.thresholds)):
            R = act.double().numpy().T
            self.bases[l] = extend_basis(self.bases[l], R, eps)
            M = torch.as_tensor(self.bases[l], dtype=torch.float32)
            self._proj[l] = M @ M.T if M.shape[1] else None

    @property
    def basis_sizes(self) -> list[int]:
        return [0 if M is None else M.shape[1] for M in self.bases]
