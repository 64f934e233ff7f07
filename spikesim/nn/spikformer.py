"""Spikformer's layers: spiking patch splitting, spiking self-attention and MLP blocks (PyTorch + norse).
The network that assembles them is :class:`spikesim.models.spikformer.Spikformer`.

Zhou et al., "Spikformer: When Spiking Neural Network Meets Transformer", ICLR 2023
(arXiv:2209.15425), as the authors' CIFAR code implements it. Tensors are time-first
``[T, B, ...]``; only the LIF neurons see T, every Conv/Linear/BN sees T*B flattened, so
BatchNorm statistics are pooled over time and batch (and tokens for BN1d). SN = LIF neuron
(:class:`~spikesim.nn.spiking_lif.MultiStepLIF`, threshold 1 unless stated).

SPS (Eq. 10) and relative position embedding (Eqs. 4-6), four stages of
Conv3x3 -> BN -> SN [-> MaxPool(3, 2, 1)] with D/8, D/4, D/2, D channels, then::

    x  = SPS(I)                       # spikes [T, B, D, H', W']
    X0 = x + SN(BN(Conv3x3(x)))       # values in {0, 1, 2};  flattened to [T, B, N, D]

Spiking self-attention (Eqs. 14-16), per head of width d = D/h, no softmax::

    Q = SN_Q(BN(X W_Q)),  K = SN_K(BN(X W_K)),  V = SN_V(BN(X W_V))    in {0,1}
    SSA'(Q, K, V) = SN_{th 0.5}( Q K^T V * s )                          # s = 0.125 (CIFAR)
    SSA(X)        = SN(BN(Linear(SSA')))

MLP: SN(BN(Linear_{4D->D}(SN(BN(Linear_{D->4D}(X)))))). Blocks (Eqs. 7-8) with plain residuals::

    X'_l = SSA(X_{l-1}) + X_{l-1};    X_l = MLP(X'_l) + X'_l

Head (Eq. 9): logits = Linear( mean_T mean_N X_L ). Q K^T V is evaluated as Q (K^T V) or
(Q K^T) V, whichever is cheaper; with binary Q/K/V both are exact integer sums.

Static images ``[B, C, H, W]`` are direct-encoded (repeated T times); event frames
``[B, T, C, H, W]`` are permuted to time-first.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from spikesim.nn.layer_utils import check_positive_int
from spikesim.nn.spiking_lif import MultiStepLIF


def seq_apply(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Apply a stateless module to ``[T, B, ...]`` with T and B flattened into one batch axis."""
    T, B = x.shape[:2]
    y = module(x.flatten(0, 1))
    return y.reshape(T, B, *y.shape[1:])


def time_first(x: torch.Tensor, T: int) -> torch.Tensor:
    """Images [B, C, H, W] repeated over T steps, or event frames [B, T, C, H, W], as time-first
    [T, B, C, H, W] input of a spiking model."""
    if x.dim() == 4:
        return x.unsqueeze(0).expand(T, *x.shape)
    if x.dim() == 5:
        if x.shape[1] != T:
            raise ValueError(f"event input [B, T, C, H, W] has T={x.shape[1]}, model has T={T}")
        return x.transpose(0, 1)
    raise ValueError(f"x must be [B, C, H, W] or [B, T, C, H, W], got shape {tuple(x.shape)}")


class LinearBN(nn.Module):
    """Linear on the last axis of ``[T, B, N, C]`` followed by BatchNorm1d over channels."""

    def __init__(self, d_in: int, d_out: int, bias: bool = True):
        super().__init__()
        self.linear = nn.Linear(d_in, d_out, bias=bias)
        self.bn = nn.BatchNorm1d(d_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.linear(x)                                      # [T, B, N, C]
        # BN1d over channels with statistics pooled over T, B and N (same as the authors'
        # BN1d on [TB, C, N]), computed on a contiguous [T*B*N, C] view
        return self.bn(y.reshape(-1, y.shape[-1])).reshape(y.shape)


class ConvBN(nn.Module):
    """Conv3x3 (no bias) + BatchNorm2d on ``[T, B, C, H, W]`` (T*B flattened)."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return seq_apply(lambda z: self.bn(self.conv(z)), x)


class SPS(nn.Module):
    """Spiking patch splitting with relative position embedding -> tokens ``[T, B, N, D]``.

    ``pools``: four booleans, whether stage i ends with MaxPool(3, 2, 1) (CIFAR: F, F, T, T).
    """

    def __init__(self, in_channels: int, dim: int, pools: Sequence[bool] = (False, False, True, True)):
        super().__init__()
        if dim % 8:
            raise ValueError(f"dim must be a multiple of 8 (SPS widths D/8, D/4, D/2, D), got {dim}")
        if len(pools) != 4:
            raise ValueError(f"pools must have 4 entries (one per SPS stage), got {list(pools)}")
        widths = [dim // 8, dim // 4, dim // 2, dim]
        self.stages = nn.ModuleList()
        self.lifs = nn.ModuleList()
        c = in_channels
        for w in widths:
            self.stages.append(ConvBN(c, w))
            self.lifs.append(MultiStepLIF(v_th=1.0))
            c = w
        self.pools = tuple(bool(p) for p in pools)
        self.pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.rpe = ConvBN(dim, dim)
        self.rpe_lif = MultiStepLIF(v_th=1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv, lif, pool in zip(self.stages, self.lifs, self.pools):
            x = lif(conv(x))
            if pool:
                x = seq_apply(self.pool, x)
        x = x + self.rpe_lif(self.rpe(x))
        return x.flatten(3).transpose(2, 3).contiguous()        # [T, B, N, D]


def spiking_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float | torch.Tensor) -> torch.Tensor:
    """Q K^T V * scale over the last two axes (no softmax), in the cheaper association order."""
    n, d = q.shape[-2], q.shape[-1]
    if n > d:
        return (q @ (k.transpose(-2, -1) @ v)) * scale
    return ((q @ k.transpose(-2, -1)) @ v) * scale


class SSA(nn.Module):
    """Multi-head spiking self-attention. ``scale`` fixed (0.125 CIFAR/ImageNet, 0.25 DVS code)
    or learnable (``learn_scale=True``, as the paper states for DVS)."""

    def __init__(self, dim: int, heads: int, scale: float = 0.125, learn_scale: bool = False,
                 qkv_bias: bool = True, attn_v_th: float = 0.5):
        super().__init__()
        check_positive_int("heads", heads)
        if dim % heads:
            raise ValueError(f"dim ({dim}) must be divisible by heads ({heads})")
        self.dim, self.heads = dim, heads
        self.q, self.k, self.v = (LinearBN(dim, dim, bias=qkv_bias) for _ in range(3))
        self.q_lif, self.k_lif, self.v_lif = (MultiStepLIF(v_th=1.0) for _ in range(3))
        self.attn_lif = MultiStepLIF(v_th=attn_v_th)
        self.proj = LinearBN(dim, dim)
        self.proj_lif = MultiStepLIF(v_th=1.0)
        if learn_scale:
            self.scale = nn.Parameter(torch.tensor(float(scale)))
        else:
            self.register_buffer("scale", torch.tensor(float(scale)))
        self.record = False          # when True: keep the last Q/K/V spikes (for SOPs and maps)
        self.last_qkv: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        T, B, N, D = x.shape
        return x.reshape(T, B, N, self.heads, D // self.heads).permute(0, 1, 3, 2, 4)  # [T,B,h,N,d]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        T, B, N, D = x.shape
        q = self._heads(self.q_lif(self.q(x)))
        k = self._heads(self.k_lif(self.k(x)))
        v = self._heads(self.v_lif(self.v(x)))
        if self.record:
            self.last_qkv = (q.detach(), k.detach(), v.detach())
        y = spiking_attention(q, k, v, self.scale)                   # [T, B, h, N, d]
        y = y.permute(0, 1, 3, 2, 4).reshape(T, B, N, D)
        y = self.attn_lif(y)
        return self.proj_lif(self.proj(y))


class SpikingMLP(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = LinearBN(dim, hidden)
        self.fc1_lif = MultiStepLIF(v_th=1.0)
        self.fc2 = LinearBN(hidden, dim)
        self.fc2_lif = MultiStepLIF(v_th=1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2_lif(self.fc2(self.fc1_lif(self.fc1(x))))


class SpikformerBlock(nn.Module):
    def __init__(self, dim: int, heads: int, mlp_ratio: float = 4.0, **ssa_kw):
        super().__init__()
        self.attn = SSA(dim, heads, **ssa_kw)
        self.mlp = SpikingMLP(dim, int(round(dim * mlp_ratio)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(x)
        return x + self.mlp(x)
