"""Elastic weight consolidation (Kirkpatrick et al., PNAS 2017) for the continual paradigm.

    L(theta) = L_t(theta) + sum_i (lambda / 2) F_i (theta_i - theta*_i)^2

F is the diagonal empirical Fisher, F_i = E[(d log p(y|x, theta) / d theta_i)^2], estimated from
``fisher_samples`` training samples of each finished task (one gradient per sample) and summed
over tasks; theta* is the parameter vector at the end of the latest task (the common
"accumulated Fisher, latest anchor" variant). Numerical guard: with plain SGD (step lr) the
quadratic penalty overshoots its anchor and diverges where lr * lambda * F_i > 2, so the
per-parameter stiffness lambda * F_i is capped at 1 / lr (a full step lands on the anchor). Works on the spiking MLP (DSR or BPTT gradients)
and on the ReLU MLP. lambda is not given by the HLOP paper; it is a config value here.
"""
from __future__ import annotations

import torch
from torch import nn

from spikesim.train.continual import ContinualLearner


class EWCLearner(ContinualLearner):
    method = "ewc"

    def __init__(self, net, *, ewc_lambda: float = 1000.0, fisher_samples: int = 200, **kw):
        super().__init__(net, **kw)
        if not ewc_lambda >= 0:
            raise ValueError(f"ewc_lambda must be >= 0, got {ewc_lambda!r}")
        if int(fisher_samples) != fisher_samples or fisher_samples < 1:
            raise ValueError(f"fisher_samples must be a positive integer, got {fisher_samples!r}")
        self.ewc_lambda, self.fisher_samples = float(ewc_lambda), int(fisher_samples)
        self.params = [p for p in self.net.parameters() if p.dim() > 1]
        self.fisher = [torch.zeros_like(p) for p in self.params]
        self.anchor: list[torch.Tensor] | None = None

    def penalty(self, t: int):
        if self.anchor is None or self.ewc_lambda == 0:
            return 0.0
        cap = 1.0 / self.lr
        return 0.5 * sum((torch.clamp(self.ewc_lambda * f, max=cap) * (p - a) ** 2).sum()
                         for f, p, a in zip(self.fisher, self.params, self.anchor))

    def end_task(self, t, x, y) -> None:
        n = min(self.fisher_samples, len(x))
        idx = torch.randperm(len(x), generator=self.torch_gen)[:n]
        self.net.eval()
        acc = [torch.zeros_like(p) for p in self.params]
        for i in idx:
            logits, _ = self.net(x[i:i + 1], task=self._task_arg(t))
            loss = nn.functional.cross_entropy(logits, y[i:i + 1])
            grads = torch.autograd.grad(loss, self.params, allow_unused=True)
            for a, g in zip(acc, grads):
                if g is not None:
                    a.add_(g.detach() ** 2)
        for f, a in zip(self.fisher, acc):
            f.add_(a / n)
        self.anchor = [p.detach().clone() for p in self.params]
        self.net.train()
