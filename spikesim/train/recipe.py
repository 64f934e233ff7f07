"""The image-classification training recipe (Spikformer CIFAR configuration, Zhou et al., ICLR
2023; the loop is :func:`spikesim.nn.train_images.fit`). Defaults are the ``images`` paradigm's
quick preset: its config inherits these fields, so each default is written once."""
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


__all__ = ["TrainRecipe"]
