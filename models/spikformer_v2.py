"""Spikformer V2 image classifiers (Zhou et al., arXiv:2401.02020): the classifier protocol
around :class:`SpikformerV2` (the network, in this file), supervised from scratch
(``spikformer-v2``) or masked pre-training then fine-tuning (``spikformer-v2-ssl``).

Model: SCS stem (option B by default, :mod:`spikesim.nn.scs`) + V1's spiking self-attention
blocks + linear head. ``measure`` is V1's (:class:`spikesim.models.spikformer.SpikformerClassifier`):
the first conv's MACs (real-valued pixels) x T, SOPs of every other layer and of the
event-driven SSA, energy 4.6 pJ/MAC + 0.9 pJ/SOP, per-layer firing rates.

The SSL variant (:mod:`spikesim.train.masked_pretrain`) first pre-trains stem and blocks at
``ssl.T`` (1) by reconstructing the per-patch-normalised pixels of masked patches through a
light non-spiking decoder, then drops the decoder, re-initialises the head and fine-tunes the
whole model with the supervised recipe at the classifier's T (1 by default).

**The network.** Spikformer V2: the spiking convolutional stem (SCS) followed by Spikformer V1's encoder blocks.

Zhou et al., arXiv:2401.02020 (abstract: "Spikformer enhanced with the SCS"; 8 layers at
T = 4 reach 80.38 % on ImageNet, a 172M 16-layer model 81.10 % at T = 1 after masked
pre-training). The blocks are V1's unchanged (the sheet ``shared/papers/spikformer_v2.md``
section 3.2 shows the published sizes are V1's blocks plus about 83.4 D^2 of stem)::

    X0 = SCS(I)                                  # spikes + RPE, tokens [T, B, N, D]
    X'_l = SSA(X_{l-1}) + X_{l-1};  X_l = MLP(X'_l) + X'_l       (V1 Eqs. 7-8, SSA scale 0.125)
    logits = Linear( mean_T mean_N X_L )

Named ImageNet configurations (224^2, 1000 classes, bias-free q/k/v as V1's ImageNet code,
heads as V1: 8 at D = 384 and 512, 12 at D = 768) and the parameter counts published for them:

=============  ===  ===  =======================
name            L    D   published parameters
=============  ===  ===  =======================
v2-8-384        8   384  29.11M  (secondary: MSViT README)
v2-8-512        8   512  51.55M  (secondary: MSViT README)
v2-16-768      16   768  172M    (paper abstract; D = 768 inferred by the sheet)
=============  ===  ===  =======================

``encode_visible`` is the masked (pre-training) path: the sparse stem with a token-grid mask,
then only the visible tokens go through the blocks (MAE-style; the sheet's option (b)).
"""
from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from spikesim.models.spikformer import SpikformerClassifier, SpikingTransformer
from spikesim.nn.layer_utils import check_positive_int, init_linear
from spikesim.nn.scs import build_scs, mask_at, token_grid
from spikesim.nn.spikformer import SSA, SpikformerBlock, time_first
from spikesim.nn.spiking_lif import MultiStepLIF
from spikesim.models.image_classifier import TorchImageClassifier
from spikesim.train.images import fit
from spikesim.train.masked_pretrain import prepare_finetune, pretrain
from spikesim.train.recipe import SSLRecipe, TrainRecipe


NAMED_CONFIGS: dict[str, dict[str, Any]] = {
    "v2-8-384": dict(depth=8, dim=384, heads=8),
    "v2-8-512": dict(depth=8, dim=512, heads=8),
    "v2-16-768": dict(depth=16, dim=768, heads=12),
}
_IMAGENET = dict(in_channels=3, num_classes=1000, stem="B", strides=(2, 2, 2, 2), hidden_ratio=4.5,
                 qkv_bias=False, T=4)
PUBLISHED_PARAMETERS = {"v2-8-384": 29.11e6, "v2-8-512": 51.55e6, "v2-16-768": 172e6}


class SpikformerV2(SpikingTransformer):
    """Spikformer V2 ``depth``-``dim`` over ``T`` time steps.

    ``stem``: ``"B"`` (default) or ``"A"``; ``strides`` / ``hidden_ratio`` configure option B,
    ``pools`` / ``extra_half`` / ``extra_full`` option A (see :mod:`spikesim.nn.scs`).
    ``forward(x)`` takes images ``[B, C, H, W]`` (repeated T times) or event frames
    ``[B, T, C, H, W]`` and returns logits ``[B, num_classes]``.
    """

    def __init__(self, depth: int = 4, dim: int = 128, heads: int = 4, T: int = 4, *, in_channels: int = 3,
                 num_classes: int = 10, mlp_ratio: float = 4.0, stem: str = "B",
                 strides: Sequence[int] = (1, 1, 2, 2), hidden_ratio: float = 4.5,
                 pools: Sequence[bool] = (False, False, True, True), extra_half: int = 1, extra_full: int = 1,
                 scale: float = 0.125, learn_scale: bool = False, qkv_bias: bool = True):
        super().__init__(lambda: build_scs(stem, in_channels, dim, strides=strides, hidden_ratio=hidden_ratio,
                                           pools=pools, extra_half=extra_half, extra_full=extra_full),
                         depth, dim, heads, T, in_channels, num_classes, mlp_ratio, scale, learn_scale, qkv_bias)

    def token_grid(self, height: int, width: int) -> tuple[int, int]:
        return token_grid(self.stem, height, width)

    def encode_visible(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """Masked path: images ``x`` [B, C, H, W] (masked pixels are zeroed here), token mask
        ``keep`` [B, gh, gw] with the same number of visible tokens per image. Returns the
        encoder output of the visible tokens ``[T, B, N_visible, D]`` in row-major grid order."""
        if x.dim() != 4:
            raise ValueError(f"encode_visible takes images [B, C, H, W], got shape {tuple(x.shape)}")
        B = x.shape[0]
        if keep.dtype != torch.bool or keep.dim() != 3 or keep.shape[0] != B:
            raise ValueError(f"keep must be a bool mask [B, gh, gw] with B={B}, got {keep.dtype} {tuple(keep.shape)}")
        gh, gw = self.token_grid(*x.shape[-2:])
        if tuple(keep.shape[1:]) != (gh, gw):
            raise ValueError(f"keep has grid {tuple(keep.shape[1:])}, the stem makes {gh}x{gw} tokens")
        n_vis = keep.flatten(1).sum(1)
        if bool((n_vis != n_vis[0]).any()) or int(n_vis[0]) == 0:
            raise ValueError("every image must keep the same, non-zero number of visible tokens")
        xm = x * mask_at(keep, *x.shape[-2:]).to(x.dtype)
        z = self.stem(self.encode(xm), keep)                          # [T, B, N, D]
        T, _, N, D = z.shape
        idx = keep.flatten(1).nonzero()[:, 1].reshape(B, -1)           # visible token indices, sorted
        z = torch.gather(z, 2, idx[None, :, :, None].expand(T, B, idx.shape[1], D))
        for blk in self.blocks:
            z = blk(z)
        return z

    # -- introspection -------------------------------------------------------------------------
    def first_conv_name(self) -> str:
        return "stem." + self.stem.first_conv_name()


def named_config(name: str, **overrides) -> dict[str, Any]:
    """Keyword arguments of :class:`SpikformerV2` for a named configuration (ImageNet defaults)."""
    if name not in NAMED_CONFIGS:
        raise ValueError(f"unknown Spikformer V2 configuration {name!r}; known: {sorted(NAMED_CONFIGS)}")
    return {**_IMAGENET, **NAMED_CONFIGS[name], **overrides}


def count_parameters(name_or_kwargs: str | dict[str, Any]) -> int:
    """Parameter count of a configuration, built on the meta device (no weights are allocated)."""
    kw = named_config(name_or_kwargs) if isinstance(name_or_kwargs, str) else dict(name_or_kwargs)
    with torch.device("meta"):
        model = SpikformerV2(**kw)
    return sum(p.numel() for p in model.parameters())


class SpikformerV2Classifier(SpikformerClassifier):
    name = "spikformer-v2"

    def __init__(self, depth: int = 4, dim: int = 128, heads: int = 4, T: int = 4, *, in_channels: int = 1,
                 num_classes: int = 10, mlp_ratio: float = 4.0, stem: str = "B",
                 strides: Sequence[int] = (1, 2, 2, 2), hidden_ratio: float = 4.0,
                 pools: Sequence[bool] = (True, True, True, False), extra_half: int = 1, extra_full: int = 1,
                 scale: float = 0.125, learn_scale: bool = False, seed: int = 0, device: str = "auto",
                 mean=None, std=None):
        torch.manual_seed(seed)
        module = SpikformerV2(depth, dim, heads, T, in_channels=in_channels, num_classes=num_classes,
                              mlp_ratio=mlp_ratio, stem=stem, strides=strides, hidden_ratio=hidden_ratio, pools=pools,
                              extra_half=extra_half, extra_full=extra_full, scale=scale, learn_scale=learn_scale)
        TorchImageClassifier.__init__(self, module, device, mean, std)
        self.seed = seed


class SpikformerV2SSLClassifier(SpikformerV2Classifier):
    """Masked pre-training (``ssl`` recipe, labels unused) then supervised fine-tuning at ``T``."""

    name = "spikformer-v2-ssl"

    def __init__(self, *args, ssl: SSLRecipe | None = None, **kw):
        super().__init__(*args, **kw)
        self.ssl = ssl or SSLRecipe()
        self.ssl.validate()
        self.ssl_history: dict[str, np.ndarray] = {}
        self.pretrain_seconds = 0.0
        self.finetune_seconds = 0.0

    def fit(self, x_train, y_train, x_test=None, y_test=None, recipe=None, progress: bool = False):
        t0 = time.perf_counter()
        T = self.module.T
        self.ssl_history = pretrain(self.module, x_train, self.ssl, self.device, self.norm, progress=progress)
        self.pretrain_seconds = time.perf_counter() - t0
        prepare_finetune(self.module, T=T, seed=self.seed)
        t1 = time.perf_counter()
        self.history = fit(self.module, x_train, y_train, x_test, y_test, recipe or TrainRecipe(), self.device, self.norm,
                           progress=progress, desc=self.name)
        self.finetune_seconds = time.perf_counter() - t1
        return self
