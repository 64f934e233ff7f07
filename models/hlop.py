"""HLOP learner: Hebbian learning based orthogonal projection (Xiao et al., ICLR 2024).

Per linear layer l (input dims [n_in, h, h]; the shared head is projected too, a per-task head is
not) a :class:`spikesim.nn.hlop.HLOPSubspace` holds k_l subspace neurons. Per task t
(the paper's ``spiking_train_pmnist.py`` protocol):

* begin: add k_t(l) new neurons (orthonormal init), k from :func:`paper_k_schedule` scaled to
  the layer sizes;
* every mini-batch: gradient of W_l post-multiplied by (I - H_old^T H_old), i.e.
  dW = -lr delta (x - H_old^T H_old x)^T  (t > 0 only), then ``hebb_iterations`` Oja updates
  dH = eta y (x - H^T y)^T of the new rows on the batch's presynaptic activity
  (weighted firing rate for DSR), with momentum 0.9 and clipping at 10;
* end: merge, i.e. freeze all neurons as the old-task subspace.

``subspace_engine="torch"`` runs the batched Oja update in torch
(:class:`spikesim.nn.hlop.HLOPSubspace`); ``"core"`` learns the same subspaces on the
event-driven core (:class:`spikesim.models.hlop_core.CoreSubspace`: WindowRate inputs fed the
layer's per-step activity, subspace neurons, a lateral projection with
:class:`spikesim.plasticity.OjaSubspace`), online per sample at lr / B (see that module).
"""
from __future__ import annotations

from typing import Sequence

import torch

from spikesim.train.continual import ContinualLearner
from spikesim.nn.hlop import HLOPSubspace, paper_k_schedule, scale_k
from spikesim.plasticity.oja_subspace import OjaSubspaceRule


class HLOPLearner(ContinualLearner):
    method = "hlop"

    def __init__(self, net, *, hebb_iterations: int = 5, hebb_lr: Sequence[float] = (0.001, 0.01, 0.01),
                 k0: Sequence[int] = (80, 200, 100), k_inc: Sequence[int] = (70, 70, 70), k_dec: int = 20,
                 dec_every: int = 3, k_scale: float = 1.0, subspace_engine: str = "torch", **kw):
        super().__init__(net, **kw)
        if subspace_engine not in ("torch", "core"):
            raise ValueError(f"subspace_engine must be 'torch' or 'core', got {subspace_engine!r}")
        self.subspace_engine = subspace_engine
        layers = self.net.linears if not self.multi_head else self.net.linears[:-1]
        self.layers = layers
        if len(hebb_lr) != 3:
            raise ValueError(f"hebb_lr needs one value per projected layer (3), got {list(hebb_lr)}")
        if not k_scale > 0:
            raise ValueError(f"k_scale must be positive, got {k_scale!r}")
        self.dims = [lin.in_features for lin in self.net.linears]
        rules = [OjaSubspaceRule(lr=float(lr), iterations=int(hebb_iterations)) for lr in hebb_lr]
        if subspace_engine == "torch":
            self.subspaces = [HLOPSubspace(n, r) for n, r in zip(self.dims[:len(layers)], rules)]
        else:
            from spikesim.models.hlop_core import CoreSubspace, dsr_beta
            self.dsr = getattr(net, "training_method", None) == "dsr"
            beta = dsr_beta(net.lif1) if self.dsr else 1.0
            self.subspaces = [CoreSubspace(n, r, beta=beta) for n, r in zip(self.dims[:len(layers)], rules)]
            self._steps: dict = {}
            if self.dsr:                        # the per-step spike outputs o[t] of the hidden layers
                for name in ("lif1", "lif2"):
                    getattr(net, name).register_forward_hook(self._keep(name))
        self.k_args = dict(k0=tuple(k0), k_inc=tuple(k_inc), k_dec=int(k_dec), dec_every=int(dec_every))
        self.k_scale = float(k_scale)
        self.k_history: list[list[int]] = []

    def k_for_task(self, t: int) -> list[int]:
        return scale_k(paper_k_schedule(t, **self.k_args), self.dims, factor=self.k_scale)[:len(self.subspaces)]

    def begin_task(self, t: int) -> None:
        ks = self.k_for_task(t)
        for sub, k in zip(self.subspaces, ks):
            sub.add_subspace(k, self.rng)
        self.k_history.append([s.k for s in self.subspaces])

    def transform_grads(self, t: int) -> None:
        for lin, sub in zip(self.layers, self.subspaces):
            sub.project_weight_grad(lin.weight)

    def _keep(self, name):
        def hook(module, inputs, output):
            self._steps[name] = output.detach()
        return hook

    def _windows(self, presyn: list[torch.Tensor]) -> list[torch.Tensor]:
        """Per-sample windows (B, W, n) of each projected layer's per-step input for the core:
        DSR: the constant image and the hidden layers' o[t] over the T steps; BPTT: every
        step's spikes a window of one step (the rows the torch path learns from)."""
        if not self.dsr:
            return [x.unsqueeze(1) for x in presyn]
        T = self.net.T
        steps = [presyn[0].unsqueeze(1).expand(-1, T, -1), self._steps["lif1"].transpose(0, 1),
                 self._steps["lif2"].transpose(0, 1)]
        return steps[:len(self.subspaces)]

    def after_step(self, t: int, presyn: list[torch.Tensor]) -> None:
        if self.subspace_engine == "core":
            presyn = self._windows(presyn)
        for sub, x in zip(self.subspaces, presyn):
            sub.hebbian_update(x)

    def end_task(self, t, x, y) -> None:
        for sub in self.subspaces:
            sub.merge()
