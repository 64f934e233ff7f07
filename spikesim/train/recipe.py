"""Training recipes (plain dataclasses, no torch at import).

:class:`TrainRecipe`: image classification (Spikformer CIFAR configuration, Zhou et al., ICLR
2023; the loop is :func:`spikesim.train.images.fit`). Its defaults are the ``images`` paradigm's
quick preset: that config inherits these fields, so each default is written once.
:class:`SSLRecipe`: masked pre-training of Spikformer V2."""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class TrainRecipe:
    epochs: int = 3                   # passes over the training split, >= 1
    batch_size: int = 64              # images per optimiser step (the last partial batch is dropped), >= 1
    lr: float = 2e-3                  # AdamW peak learning rate (after warm-up), > 0
    weight_decay: float = 0.06        # AdamW weight decay of the weight matrices (none on biases and 1-D parameters)
    warmup_epochs: float = 0.3        # epochs of linear warm-up from warmup_lr to lr (fractions allowed)
    warmup_lr: float = 1e-5           # learning rate at step 0 of the warm-up
    min_lr: float = 1e-5              # learning rate at the end of the per-step cosine decay
    label_smoothing: float = 0.1      # target = (1 - s) one-hot + s / n_classes, s in [0, 1)
    mixup_alpha: float = 0.0          # Beta(alpha, alpha) of Mixup (0: no Mixup)
    mixup_off_epoch: int = 0          # Mixup is used in epochs < mixup_off_epoch (0: never)
    hflip: bool = False               # flip each training image left-right with probability 1/2
    random_erasing: float = 0.0       # probability per image of erasing one random rectangle, in [0, 1]
    max_steps: int = 0                # stop after this many optimiser steps (0: no limit)
    amp: bool = False                 # float16 autocast + GradScaler, CUDA only
    eval_batch: int = 256             # images per batch when the test split is scored
    seed: int = 0                     # batch order and augmentation draws (images: also initial weights and data subsets)

    def validate(self) -> None:
        for name in ("epochs", "batch_size", "eval_batch"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("lr", "warmup_lr", "min_lr"):
            v = getattr(self, name)
            if not (v >= 0 and math.isfinite(v)):
                raise ValueError(f"{name} must be finite and >= 0, got {v}")
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if not 0 <= self.random_erasing <= 1:
            raise ValueError(f"random_erasing must be a probability, got {self.random_erasing}")
        if self.weight_decay < 0 or self.label_smoothing < 0 or self.label_smoothing >= 1:
            raise ValueError("weight_decay must be >= 0 and label_smoothing in [0, 1)")
        if self.mixup_alpha < 0 or self.warmup_epochs < 0 or self.max_steps < 0:
            raise ValueError("mixup_alpha, warmup_epochs and max_steps must be >= 0")


@dataclass
class SSLRecipe:
    """Masked pre-training of Spikformer V2 (:func:`spikesim.train.masked_pretrain.pretrain`);
    the defaults are the reconstruction sheet's (``shared/papers/spikformer_v2.md`` 6.5)."""

    epochs: int = 1                   # passes over the (unlabelled) training images
    batch_size: int = 64              # images per step
    lr: float = 0.0                   # AdamW peak lr (0: the sheet's 1.5e-4 * batch_size / 256)
    weight_decay: float = 0.05        # AdamW weight decay of the weight matrices
    beta2: float = 0.95               # AdamW second-moment decay
    warmup_fraction: float = 0.1      # fraction of the steps with linear warm-up, then cosine decay
    min_lr: float = 0.0               # lr at the end of the cosine decay
    mask_ratio: float = 0.5           # fraction of the token grid masked per image, in (0, 1)
    T: int = 1                        # encoder time steps during pre-training
    decoder_dim: int = 64             # decoder width (a multiple of 4 and of decoder_heads)
    decoder_depth: int = 2            # decoder ViT blocks
    decoder_heads: int = 4            # decoder attention heads
    norm_pix: bool = True             # per-patch normalised pixel targets (MAE's norm_pix_loss)
    max_steps: int = 0                # stop after this many steps (0: no limit)
    amp: bool = False                 # float16 autocast + GradScaler, CUDA only
    seed: int = 0                     # masks and batch order

    def validate(self) -> None:
        for name in ("epochs", "batch_size", "T", "decoder_dim", "decoder_depth", "decoder_heads"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"SSL {name} must be a positive integer, got {v!r}")
        if not 0.0 < self.mask_ratio < 1.0:
            raise ValueError(f"SSL mask_ratio must be in (0, 1), got {self.mask_ratio!r}")
        if self.lr < 0 or self.weight_decay < 0 or not 0 <= self.warmup_fraction < 1 or self.max_steps < 0:
            raise ValueError("SSL lr, weight_decay, max_steps must be >= 0 and warmup_fraction in [0, 1)")
        if self.decoder_dim % self.decoder_heads:
            raise ValueError(f"SSL decoder_dim ({self.decoder_dim}) must be divisible by decoder_heads "
                             f"({self.decoder_heads})")

    @property
    def effective_lr(self) -> float:
        return self.lr if self.lr > 0 else 1.5e-4 * self.batch_size / 256


__all__ = ["TrainRecipe", "SSLRecipe"]
