"""Multitask (joint) training: the upper bound of the continual paradigm.

All tasks' training sets are pooled and shuffled, and the network is trained on the union for
``epochs`` epochs with the same optimiser and loss as the sequential learners (so it takes as
many SGD steps as the whole sequence). Multi-head networks route each sample to its task's head.
There is no sequence, so only ACC (mean test accuracy over tasks) is defined; no BWT.

As an :class:`spikesim.models.protocols.OnlineLearner`, ``learn(t, x, y)`` keeps each task's
training set and trains jointly (:meth:`fit_all`) once the last of ``n_tasks`` has arrived;
before that the network is untrained.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from spikesim.train.continual import ContinualLearner, as_tensors


class MultitaskLearner(ContinualLearner):
    method = "multitask"

    def __init__(self, net: nn.Module, *, n_tasks: int | None = None, **kw):
        super().__init__(net, **kw)
        if n_tasks is not None and (int(n_tasks) != n_tasks or n_tasks < 1):
            raise ValueError(f"n_tasks must be a positive integer, got {n_tasks!r}")
        self.n_tasks = None if n_tasks is None else int(n_tasks)
        self._pool: dict[int, tuple] = {}

    def learn(self, t: int, x, y) -> None:
        """Keep task ``t``'s training set; train on all of them once ``n_tasks`` are in."""
        if self.n_tasks is None:
            raise ValueError("MultitaskLearner.learn needs n_tasks (the tasks are learned jointly at the end)")
        if not 0 <= t < self.n_tasks or t in self._pool:
            raise ValueError(f"task {t} is out of range 0..{self.n_tasks - 1} or was given twice")
        self._pool[t] = (x, y)
        if len(self._pool) == self.n_tasks:
            order = sorted(self._pool)
            self.fit_all([self._pool[i][0] for i in order], [self._pool[i][1] for i in order])
            self._pool = {}

    def fit_all(self, xs: Sequence, ys: Sequence) -> None:
        if len(xs) != len(ys) or not xs:
            raise ValueError("fit_all needs one training set per task (xs and ys of equal, non-zero length)")
        pairs = [as_tensors(x, y) for x, y in zip(xs, ys)]
        x = torch.cat([p[0] for p in pairs])
        y = torch.cat([p[1] for p in pairs])
        task = torch.cat([torch.full((len(p[1]),), t, dtype=torch.long) for t, p in enumerate(pairs)])
        self.net.train()
        opt = torch.optim.SGD(self.trainable(0), lr=self.lr)
        for _ in range(self.epochs):
            for idx in self._batches(len(x)):
                logits, _ = self.net(x[idx], task=task[idx] if self.multi_head else None)
                loss = nn.functional.cross_entropy(logits, y[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                self.net.clamp_()
                if self.progress is not None:
                    self.progress(1)
        self.tasks_seen = len(xs)
