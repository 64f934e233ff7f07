"""Spikformer image classifier (Zhou et al., "Spikformer: When Spiking Neural Network Meets
Transformer", ICLR 2023): the classifier protocol around :class:`Spikformer` (the network, in this file).

Model equations: see :mod:`spikesim.nn.spikformer`, the layers (SPS, SSA = SN_{0.5}(Q K^T V s), MLP,
plain residuals, mean over tokens and time, linear head) and :mod:`spikesim.nn.spiking_lif`
(H = V + (X - V)/2, fire on H >= V_th, hard detached reset to 0, sigmoid(4) surrogate).

``measure`` counts, over the test images, the first conv's MACs (x T, real-valued pixels),
the SOPs of every other layer (input non-zero fraction x MACs) and of the event-driven SSA
(cheaper association order per head and time step), the energy (4.6 pJ/MAC, 0.9 pJ/SOP,
paper Eqs. 21-22), the firing rate of every LIF layer, and the Q K^T attention maps of one image.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from spikesim.analysis.energy import OpCounter, ssa_event_sops
from spikesim.nn.layer_utils import check_positive_int, init_linear
from spikesim.nn.spikformer import SPS, SSA, SpikformerBlock, time_first
from spikesim.nn.spiking_lif import MultiStepLIF
from spikesim.models.image_classifier import TorchImageClassifier


class SpikingTransformer(nn.Module):
    """What Spikformer V1 and V2 share: a spiking stem (attribute ``stem_attr``, built by
    ``make_stem`` before the blocks so that parameters are drawn in the same order) -> ``depth``
    SSA + MLP blocks -> mean over tokens and time -> linear head (V1 Eqs. 7-9)."""

    stem_attr = "stem"

    def __init__(self, make_stem, depth: int, dim: int, heads: int, T: int, in_channels: int, num_classes: int,
                 mlp_ratio: float, scale: float, learn_scale: bool, qkv_bias: bool):
        super().__init__()
        for name, val in (("depth", depth), ("dim", dim), ("heads", heads), ("T", T),
                          ("in_channels", in_channels), ("num_classes", num_classes)):
            check_positive_int(name, val)
        if dim % heads:
            raise ValueError(f"dim ({dim}) must be divisible by heads ({heads})")
        self.depth, self.dim, self.heads, self.T = depth, dim, heads, T
        self.in_channels = in_channels
        setattr(self, self.stem_attr, make_stem())
        self.blocks = nn.ModuleList(SpikformerBlock(dim, heads, mlp_ratio, scale=scale, learn_scale=learn_scale,
                                                    qkv_bias=qkv_bias) for _ in range(depth))
        self.head = nn.Linear(dim, num_classes)
        self.apply(init_linear)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return time_first(x, self.T)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Stem tokens ``[T, B, N, D]`` of the input."""
        return getattr(self, self.stem_attr)(self.encode(x))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Token-averaged residual stream per time step ``[T, B, D]``."""
        z = self.embed(x)
        for blk in self.blocks:
            z = blk(z)
        return z.mean(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(0))

    def lif_layers(self) -> dict[str, MultiStepLIF]:
        """Named spiking layers in forward order."""
        return {name: m for name, m in self.named_modules() if isinstance(m, MultiStepLIF)}

    def ssa_layers(self) -> dict[str, SSA]:
        return {name: m for name, m in self.named_modules() if isinstance(m, SSA)}


class Spikformer(SpikingTransformer):
    """Spikformer-``depth``-``dim`` with ``heads`` heads over ``T`` time steps (SPS stem).

    ``forward(x)`` takes images ``[B, C, H, W]`` (direct encoding) or event frames
    ``[B, T, C, H, W]`` and returns logits ``[B, num_classes]``. The neuron state starts at 0
    on every call, so no reset between batches is needed.
    """

    stem_attr = "sps"

    def __init__(self, depth: int = 4, dim: int = 384, heads: int = 12, T: int = 4, *, in_channels: int = 3,
                 num_classes: int = 10, mlp_ratio: float = 4.0, pools: Sequence[bool] = (False, False, True, True),
                 scale: float = 0.125, learn_scale: bool = False, qkv_bias: bool = True):
        super().__init__(lambda: SPS(in_channels, dim, pools), depth, dim, heads, T, in_channels, num_classes,
                         mlp_ratio, scale, learn_scale, qkv_bias)


def _ssa_ops(module: SSA, inputs, output) -> tuple[float, float]:
    q, k, v = module.last_qkv
    return 0.0, ssa_event_sops(q, k, v)


class SpikformerClassifier(TorchImageClassifier):
    name = "spikformer"

    def __init__(self, depth: int = 2, dim: int = 128, heads: int = 4, T: int = 4, *, in_channels: int = 1,
                 num_classes: int = 10, mlp_ratio: float = 4.0, pools: Sequence[bool] = (True, True, True, False),
                 scale: float = 0.125, learn_scale: bool = False, seed: int = 0, device: str = "auto",
                 mean=None, std=None):
        torch.manual_seed(seed)
        module = Spikformer(depth, dim, heads, T, in_channels=in_channels, num_classes=num_classes,
                            mlp_ratio=mlp_ratio, pools=pools, scale=scale, learn_scale=learn_scale)
        super().__init__(module, device, mean, std)

    def _set_record(self, on: bool) -> None:
        for m in self.module.modules():
            if hasattr(m, "record"):
                m.record = on
            if hasattr(m, "reset_counts") and on:
                m.reset_counts()
            if isinstance(m, SSA) and not on:
                m.last_qkv = None

    @torch.no_grad()
    def attention_maps(self, image: np.ndarray) -> np.ndarray:
        """Q K^T of every block for one image ``[C, H, W]``, averaged over time and heads: ``[depth, N, N]``."""
        self.module.eval()
        self._set_record(True)
        try:
            self.module(self.norm(torch.as_tensor(image[None]).to(self.device)))
            maps = []
            for ssa in self.module.ssa_layers().values():
                q, k, _ = ssa.last_qkv
                maps.append((q @ k.transpose(-2, -1)).mean((0, 1, 2)).cpu().numpy())
        finally:
            self._set_record(False)
        return np.stack(maps)

    def lower(self, image_shape, backend: str = "numba", threads: int | None = None, dtype="float64"):
        """The trained network on the core (:class:`spikesim.models.spikformer_lowering.LoweredSpikformer`)
        for images of shape ``image_shape`` (C, H, W); the model is put in eval mode. ``dtype``: of the
        core's weights and ring."""
        from spikesim.models.spikformer_lowering import LoweredSpikformer
        self.module.eval()
        return LoweredSpikformer(self.module, image_shape, backend=backend, threads=threads, dtype=dtype)

    def measure_core(self, x, y, backend: str = "numba", threads: int | None = None,
                     dtype="float64") -> dict[str, Any]:
        """Accuracy, SOPs and energy per image counted by the core on ``(x, y)``, one image after
        the other: SOPs = synaptic events into neurons (not into the max-pooling OR neurons) +
        the attention's accumulations; MACs = first conv x T + head (computed outside the core);
        ``agreement``: fraction of predictions equal to the torch forward pass's; ``dtype``: of the
        core's weights and ring."""
        import time
        from spikesim.analysis.energy import energy_mj
        x = np.asarray(x, np.float32)
        low = self.lower(x.shape[1:], backend=backend, threads=threads, dtype=dtype)
        torch_pred = self.predict(x)
        keys = ("sops", "synaptic_events", "events_into_or", "attention_ops", "macs")
        sums = dict.fromkeys(keys, 0.0)
        pred = np.zeros(len(x), dtype=np.int64)
        t0 = time.perf_counter()
        for i in range(len(x)):
            image = self.norm(torch.as_tensor(x[i:i + 1]).to(self.device))[0]
            r = low.run(image)
            pred[i] = int(np.argmax(r["logits"]))
            for k in keys:
                sums[k] += r[k]
        n = max(len(x), 1)
        out = {f"{k}_per_image": v / n for k, v in sums.items()}
        out.update(accuracy=float(np.mean(pred == np.asarray(y))), agreement=float(np.mean(pred == torch_pred)),
                   energy_mj_per_image=energy_mj(out["macs_per_image"], out["sops_per_image"]),
                   seconds_per_image=(time.perf_counter() - t0) / n, predictions=pred)
        return out

    @torch.no_grad()
    def measure(self, x, y, batch: int = 128) -> dict[str, Any]:
        """Accuracy, SOPs, MACs, energy per image and per-layer firing rates on ``(x, y)``."""
        m = self.module
        m.eval()
        first_conv = m.first_conv_name() if hasattr(m, "first_conv_name") else "sps.stages.0.conv"
        self._set_record(True)
        correct = 0
        try:
            with OpCounter(m, mac_modules=(first_conv, "head"), extra={SSA: _ssa_ops}) as counter:
                xt = torch.as_tensor(np.asarray(x, np.float32))
                for i in range(0, len(xt), batch):
                    xb = self.norm(xt[i:i + batch].to(self.device))
                    pred = m(xb).argmax(1).cpu().numpy()
                    correct += int((pred == np.asarray(y[i:i + batch])).sum())
                    for ssa in m.ssa_layers().values():
                        ssa.last_qkv = None
            ops = counter.per_image(len(xt))
            lifs = m.lif_layers()
            names = list(lifs)
            spikes = np.array([lifs[n].spike_count for n in names])
            elems = np.array([lifs[n].element_count for n in names], dtype=np.float64)
        finally:
            self._set_record(False)
        return {"accuracy": correct / len(x), "sops_per_image": ops["sops"], "macs_per_image": ops["macs"],
                "energy_mj_per_image": ops["energy_mj"], "mean_firing_rate": float(spikes.sum() / elems.sum()),
                "firing_rate_layers": names, "firing_rates": spikes / elems,
                "op_layers": ops["layer_names"], "op_macs": ops["layer_macs"], "op_sops": ops["layer_sops"],
                "op_input_rate": ops["layer_input_rate"]}
