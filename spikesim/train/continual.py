"""The continual-learning loop: task-by-task training of the ``continual`` paradigm's learners.

A learner owns a network (``spikesim.models.hlop_mlp.SpikingMLP`` or
``spikesim.models.adapters.ann_mlp.ReLUMLP``) and is an
:class:`spikesim.models.protocols.OnlineLearner` (episodes = tasks)::

    learner.learn(t, x, y)               # learn task t from its training set (= train_task)
    learner.predict(t, x) -> np.ndarray  # class per sample of task t (its head if multi-head)
    learner.accuracy(t, x, y) -> float   # test accuracy on task t

Training follows the paper's PMNIST script: plain SGD (lr 0.1, no momentum, batch 64), the
trainable LIF thresholds learn only during the first task and are frozen afterwards, and the
optimiser of later tasks holds only the weight matrices. Subclasses change the protocol through
hooks: ``begin_task``, ``penalty`` (added to the loss), ``transform_grads`` (after backward),
``after_step`` (with the batch's presynaptic activity) and ``end_task``.

The methods are subclasses in :mod:`spikesim.models` (HLOP) and :mod:`spikesim.models.adapters`
(fine-tuning, EWC, GPM, multitask).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import nn


class ContinualLearner:
    """Base class; see the module docstring."""

    method = "learner"

    def __init__(self, net: nn.Module, *, epochs: int = 1, batch_size: int = 64, lr: float = 0.1,
                 seed: int = 0, multi_head: bool = False, progress: Callable[[int], None] | None = None):
        for name, v in (("epochs", epochs), ("batch_size", batch_size)):
            if int(v) != v or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if not lr > 0:
            raise ValueError(f"lr must be positive, got {lr!r}")
        self.net = net
        self.epochs, self.batch_size, self.lr = int(epochs), int(batch_size), float(lr)
        self.multi_head = bool(multi_head)
        self.seed = int(seed)
        self.rng = np.random.default_rng(seed)
        self.torch_gen = torch.Generator().manual_seed(seed)
        self.progress = progress
        self.tasks_seen = 0

    @property
    def name(self) -> str:
        """The paradigm's model name (``method``)."""
        return self.method

    # -- hooks ---------------------------------------------------------------------------------
    def begin_task(self, t: int) -> None:
        pass

    def penalty(self, t: int) -> torch.Tensor | float:
        return 0.0

    def transform_grads(self, t: int) -> None:
        pass

    def after_step(self, t: int, presyn: list[torch.Tensor]) -> None:
        pass

    def end_task(self, t: int, x: torch.Tensor, y: torch.Tensor) -> None:
        pass

    # -- training ------------------------------------------------------------------------------
    def _task_arg(self, t: int):
        return t if self.multi_head else None

    def trainable(self, t: int) -> list[nn.Parameter]:
        spiking = {id(p) for p in self.net.spiking_parameters()}
        params = []
        for p in self.net.parameters():
            if id(p) in spiking:
                p.requires_grad_(t == 0)
                if t == 0:
                    params.append(p)
            else:
                params.append(p)
        return params

    def _batches(self, n: int):
        order = torch.randperm(n, generator=self.torch_gen)
        for s in range(0, n, self.batch_size):
            yield order[s:s + self.batch_size]

    def learn(self, t: int, x, y) -> None:
        """Learn task ``t`` (the :class:`~spikesim.models.protocols.OnlineLearner` call)."""
        self.train_task(t, x, y)

    def train_task(self, t: int, x: torch.Tensor, y: torch.Tensor) -> None:
        x, y = as_tensors(x, y)
        self.net.train()
        self.begin_task(t)
        opt = torch.optim.SGD(self.trainable(t), lr=self.lr)
        for _ in range(self.epochs):
            for idx in self._batches(len(x)):
                logits, presyn = self.net(x[idx], task=self._task_arg(t))
                loss = nn.functional.cross_entropy(logits, y[idx]) + self.penalty(t)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                self.transform_grads(t)
                opt.step()
                self.net.clamp_()
                self.after_step(t, presyn)
                if self.progress is not None:
                    self.progress(1)
        self.end_task(t, x, y)
        self.tasks_seen = max(self.tasks_seen, t + 1)

    @torch.no_grad()
    def predict(self, t: int, x, batch: int = 500) -> np.ndarray:
        """Class (int64) of each sample of ``x`` for task ``t``."""
        self.net.eval()
        x = torch.as_tensor(x, dtype=torch.float32)
        out = [self.net(x[s:s + batch], task=self._task_arg(t))[0].argmax(-1) for s in range(0, len(x), batch)]
        return torch.cat(out).numpy()

    def accuracy(self, t: int, x, y) -> float:
        return float(np.mean(self.predict(t, x) == np.asarray(y)))

    def steps_per_task(self, n_train: int) -> int:
        return self.epochs * -(-n_train // self.batch_size)


def as_tensors(x, y):
    """(x float32, y int64) tensors of one non-empty training set of equal lengths."""
    x = torch.as_tensor(x, dtype=torch.float32)
    y = torch.as_tensor(y, dtype=torch.long)
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} samples but y has {len(y)}")
    if len(x) == 0:
        raise ValueError("empty training set")
    return x, y


__all__ = ["ContinualLearner", "as_tensors"]
