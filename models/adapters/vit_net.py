"""The ANN comparator of Spikformer: the same transformer with real-valued activations and
softmax attention (the paper's "Transformer-L-D, T = 1" rows, Zhou et al. ICLR 2023, Table 3).

Same layout as :class:`spikesim.models.spikformer.Spikformer` (conv stem with the same widths and
pools, a convolutional position embedding, BN after every linear layer, plain residuals, mean
over tokens, linear head), with every LIF replaced by a real activation::

    stem:   x  = [MaxPool](ReLU(BN(Conv3x3(x))))  x 4;   X0 = x + ReLU(BN(Conv3x3(x)))
    attn:   Q = BN(X W_Q),  K = BN(X W_K),  V = BN(X W_V)
            A = softmax(Q K^T / sqrt(d)) V                   (per head)
            X' = X + BN(Linear(A))
    MLP:    X'' = X' + BN(Linear(GELU(BN(Linear(X')))))
    head:   logits = Linear(mean_N X_L)

One forward pass (T = 1). Event frames ``[B, T, C, H, W]`` are averaged over T.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from spikesim.nn.layer_utils import check_positive_int, init_linear


class _LinearBN(nn.Module):
    def __init__(self, d_in: int, d_out: int, bias: bool = True):
        super().__init__()
        self.linear = nn.Linear(d_in, d_out, bias=bias)
        self.bn = nn.BatchNorm1d(d_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:     # [B, N, C]
        y = self.linear(x)
        return self.bn(y.reshape(-1, y.shape[-1])).reshape(y.shape)


class SoftmaxAttention(nn.Module):
    def __init__(self, dim: int, heads: int, qkv_bias: bool = True):
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim ({dim}) must be divisible by heads ({heads})")
        self.heads, self.d = heads, dim // heads
        self.q, self.k, self.v = (_LinearBN(dim, dim, bias=qkv_bias) for _ in range(3))
        self.proj = _LinearBN(dim, dim)
        self.record = False
        self.last_attn: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, N, D = x.shape
        split = lambda z: z.reshape(B, N, self.heads, self.d).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        attn = torch.softmax((q @ k.transpose(-2, -1)) * self.d ** -0.5, dim=-1)
        if self.record:
            self.last_attn = attn.detach()
        y = (attn @ v).transpose(1, 2).reshape(B, N, D)
        return self.proj(y)

    def attention_macs(self, n_tokens: int) -> int:
        """Multiply-accumulates of Q K^T and A V per image (the linear layers are counted apart)."""
        return 2 * self.heads * n_tokens * n_tokens * self.d


class ViTBlock(nn.Module):
    def __init__(self, dim: int, heads: int, mlp_ratio: float = 4.0, qkv_bias: bool = True):
        super().__init__()
        self.attn = SoftmaxAttention(dim, heads, qkv_bias)
        hidden = int(round(dim * mlp_ratio))
        self.fc1, self.act, self.fc2 = _LinearBN(dim, hidden), nn.GELU(), _LinearBN(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(x)
        return x + self.fc2(self.act(self.fc1(x)))


class ConvStem(nn.Module):
    def __init__(self, in_channels: int, dim: int, pools: Sequence[bool]):
        super().__init__()
        if dim % 8:
            raise ValueError(f"dim must be a multiple of 8, got {dim}")
        if len(pools) != 4:
            raise ValueError(f"pools must have 4 entries, got {list(pools)}")
        layers: list[nn.Module] = []
        c = in_channels
        for w, pool in zip([dim // 8, dim // 4, dim // 2, dim], pools):
            layers += [nn.Conv2d(c, w, 3, 1, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU()]
            if pool:
                layers.append(nn.MaxPool2d(3, 2, 1))
            c = w
        self.body = nn.Sequential(*layers)
        self.rpe = nn.Sequential(nn.Conv2d(dim, dim, 3, 1, 1, bias=False), nn.BatchNorm2d(dim), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.body(x)
        x = x + self.rpe(x)
        return x.flatten(2).transpose(1, 2)            # [B, N, D]


class ViT(nn.Module):
    """ViT-``depth``-``dim`` with the Spikformer layout; ``forward(x)`` -> logits."""

    def __init__(self, depth: int = 4, dim: int = 384, heads: int = 12, *, in_channels: int = 3,
                 num_classes: int = 10, mlp_ratio: float = 4.0, pools: Sequence[bool] = (False, False, True, True),
                 qkv_bias: bool = True):
        super().__init__()
        for name, val in (("depth", depth), ("dim", dim), ("heads", heads), ("in_channels", in_channels),
                          ("num_classes", num_classes)):
            check_positive_int(name, val)
        self.depth, self.dim, self.heads = depth, dim, heads
        self.stem = ConvStem(in_channels, dim, pools)
        self.blocks = nn.ModuleList(ViTBlock(dim, heads, mlp_ratio, qkv_bias) for _ in range(depth))
        self.head = nn.Linear(dim, num_classes)
        self.apply(init_linear)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 5:
            x = x.mean(1)
        if x.dim() != 4:
            raise ValueError(f"x must be [B, C, H, W] or [B, T, C, H, W], got shape {tuple(x.shape)}")
        x = self.stem(x)
        for blk in self.blocks:
            x = blk(x)
        return self.head(x.mean(1))

    def attention_layers(self) -> dict[str, SoftmaxAttention]:
        return {name: m for name, m in self.named_modules() if isinstance(m, SoftmaxAttention)}
