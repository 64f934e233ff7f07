"""Non-spiking comparators: the same continual learners on a ReLU MLP of the spiking MLP's shape.

``ann-baseline`` = sequential fine-tuning, ``ann-gpm`` = GPM (Saha et al., ICLR 2021) on
:class:`ReLUMLP` (n_in - h - h - heads, bias-free, ReLU)::

    a1 = relu(W1 x),  a2 = relu(W2 a1),  logits = W_head a2   (the task's head if multi-head)
 The training loop,
optimiser and metrics are those of the spiking learners, so the numbers are comparable.
"""
from __future__ import annotations

import torch
from torch import nn

from spikesim.models.adapters.finetune import FineTune
from spikesim.models.adapters.gpm import GPMLearner
from spikesim.models.hlop_mlp import MultiHeadMLP, check_sizes


class ReLUMLP(MultiHeadMLP, nn.Module):
    """Non-spiking comparator of the same shape: n_in - hidden - hidden - heads, ReLU, no bias."""

    def __init__(self, n_in: int, hidden: int = 800, n_out: int = 10, n_heads: int = 1):
        super().__init__()
        check_sizes(n_in, hidden, n_out, n_heads)
        self.n_in, self.hidden, self.n_out, self.n_heads = n_in, hidden, n_out, n_heads
        self.fc1 = nn.Linear(n_in, hidden, bias=False)
        self.fc2 = nn.Linear(hidden, hidden, bias=False)
        self.head = nn.Linear(hidden, n_out * n_heads, bias=False)

    def forward(self, x: torch.Tensor, task=None):
        x = x.reshape(x.shape[0], -1)
        if x.shape[1] != self.n_in:
            raise ValueError(f"input has {x.shape[1]} features, the network expects {self.n_in}")
        a1 = torch.relu(self.fc1(x))
        a2 = torch.relu(self.fc2(a1))
        return self._heads(a2, task), [x.detach(), a1.detach(), a2.detach()]

    def spiking_parameters(self) -> list[nn.Parameter]:
        return []

    def clamp_(self) -> None:
        pass


def ann_baseline(n_in: int, hidden: int, n_out: int, n_heads: int, **kw) -> FineTune:
    learner = FineTune(ReLUMLP(n_in, hidden, n_out, n_heads), **kw)
    learner.method = "ann-baseline"
    return learner


def ann_gpm(n_in: int, hidden: int, n_out: int, n_heads: int, **gpm_kw) -> GPMLearner:
    learner = GPMLearner(ReLUMLP(n_in, hidden, n_out, n_heads), **gpm_kw)
    learner.method = "ann-gpm"
    return learner


__all__ = ["ReLUMLP", "ann_baseline", "ann_gpm"]
