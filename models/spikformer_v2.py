"""Spikformer V2 image classifiers (Zhou et al., arXiv:2401.02020): the classifier protocol
around :class:`spikesim.nn.spikformer_v2.SpikformerV2`, supervised from scratch
(``spikformer-v2``) or masked pre-training then fine-tuning (``spikformer-v2-ssl``).

Model: SCS stem (option B by default, :mod:`spikesim.nn.scs`) + V1's spiking self-attention
blocks + linear head. ``measure`` is V1's (:class:`spikesim.models.spikformer.SpikformerClassifier`):
the first conv's MACs (real-valued pixels) x T, SOPs of every other layer and of the
event-driven SSA, energy 4.6 pJ/MAC + 0.9 pJ/SOP, per-layer firing rates.

The SSL variant (:mod:`spikesim.train.masked_pretrain`) first pre-trains stem and blocks at
``ssl.T`` (1) by reconstructing the per-patch-normalised pixels of masked patches through a
light non-spiking decoder, then drops the decoder, re-initialises the head and fine-tunes the
whole model with the supervised recipe at the classifier's T (1 by default).
"""
from __future__ import annotations

import time
from typing import Sequence

import numpy as np
import torch

from spikesim.models.spikformer import SpikformerClassifier
from spikesim.nn.spikformer_v2 import SpikformerV2
from spikesim.models.image_classifier import TorchImageClassifier
from spikesim.train.images import fit
from spikesim.train.masked_pretrain import prepare_finetune, pretrain
from spikesim.train.recipe import SSLRecipe, TrainRecipe


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
