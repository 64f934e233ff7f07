"""Multitask (joint) training: the upper bound of the continual paradigm.

All tasks' training sets are pooled and shuffled, and the network is trained on the union for
``epochs`` epochs with the same optimiser and loss as the sequential learners (so it takes as
many SGD steps as the whole sequence). Multi-head networks route each sample to its task's head.
There is no sequence, so only ACC (mean test accuracy over tasks) is defined; no BWT.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from spikesim.models.continual_learner import ContinualLearner, as_tensors


class MultitaskLearner(ContinualLearner):
    method = "multitask"

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
