"""Helpers shared by the transformer layers (Spikformer V1 and V2, the ViT comparator): the
argument check of their sizes and their weight initialisation."""
from __future__ import annotations

from torch import nn


def check_positive_int(name: str, value) -> int:
    """``value`` if it is a positive ``int`` (not a bool), else ValueError naming ``name``."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def init_linear(m: nn.Module) -> None:
    """ViT-style initialisation of a linear layer (apply with ``module.apply``): weights from a
    normal of std 0.02 truncated at +-2, biases zero; other modules are left alone."""
    if isinstance(m, nn.Linear):
        nn.init.trunc_normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)


__all__ = ["check_positive_int", "init_linear"]
