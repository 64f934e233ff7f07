"""ANN comparator of Spikformer: a ViT with the same depth, width, stem and BN layout, real
activations and softmax attention (see :mod:`spikesim.models.adapters.vit_net` for the equations), trained with
the same recipe. Energy = 4.6 pJ x MACs (Spikformer paper, Eq. 22, ANN row), MACs counted for
every Conv/Linear plus Q K^T and A V.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch

from spikesim.analysis.energy import OpCounter
from spikesim.models.adapters.vit_net import SoftmaxAttention, ViT
from spikesim.models.image_classifier import TorchImageClassifier


def _attn_ops(module: SoftmaxAttention, inputs, output) -> tuple[float, float]:
    B, N, _ = inputs[0].shape
    return float(module.attention_macs(N) * B), 0.0


class ViTClassifier(TorchImageClassifier):
    name = "vit"

    def __init__(self, depth: int = 2, dim: int = 128, heads: int = 4, *, in_channels: int = 1, num_classes: int = 10,
                 mlp_ratio: float = 4.0, pools: Sequence[bool] = (True, True, True, False), seed: int = 0,
                 device: str = "auto", mean=None, std=None):
        torch.manual_seed(seed)
        module = ViT(depth, dim, heads, in_channels=in_channels, num_classes=num_classes, mlp_ratio=mlp_ratio,
                     pools=pools)
        super().__init__(module, device, mean, std)

    @torch.no_grad()
    def attention_maps(self, image: np.ndarray) -> np.ndarray:
        """Softmax attention of every block for one image, averaged over heads: ``[depth, N, N]``."""
        self.module.eval()
        layers = self.module.attention_layers().values()
        for a in layers:
            a.record = True
        try:
            self.module(self.norm(torch.as_tensor(image[None]).to(self.device)))
            maps = [a.last_attn.mean((0, 1)).cpu().numpy() for a in layers]
        finally:
            for a in layers:
                a.record, a.last_attn = False, None
        return np.stack(maps)

    @torch.no_grad()
    def measure(self, x, y, batch: int = 256) -> dict[str, Any]:
        m = self.module
        m.eval()
        correct = 0
        with OpCounter(m, all_macs=True, extra={SoftmaxAttention: _attn_ops}) as counter:
            xt = torch.as_tensor(np.asarray(x, np.float32))
            for i in range(0, len(xt), batch):
                pred = m(self.norm(xt[i:i + batch].to(self.device))).argmax(1).cpu().numpy()
                correct += int((pred == np.asarray(y[i:i + batch])).sum())
        ops = counter.per_image(len(xt))
        return {"accuracy": correct / len(x), "sops_per_image": 0.0, "macs_per_image": ops["macs"],
                "energy_mj_per_image": ops["energy_mj"], "mean_firing_rate": float("nan"),
                "op_layers": ops["layer_names"], "op_macs": ops["layer_macs"], "op_sops": ops["layer_sops"]}
