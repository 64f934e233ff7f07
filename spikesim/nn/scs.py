"""Spiking Convolutional Stem (SCS) of Spikformer V2, and its sparse (masked) mode.

Zhou et al., "Spikformer V2: Join the High Accuracy Club on ImageNet with an SNN Ticket",
arXiv:2401.02020. The paper's body could not be read; the abstract says only that V2 is
Spikformer plus a spiking convolutional stem with supplementary convolutional layers. The
layer lists below are the reconstruction of ``shared/papers/spikformer_v2.md`` (section 4.5);
every unknown is an argument with that sheet's default. All layers follow Spikformer's
convention Conv3x3 (no bias) -> BN -> LIF (tau 2, threshold 1), spikes added after the neuron.

**Option B (default)**, four strided spiking conv stages, one wide conv block with an additive
(SEW-ADD) shortcut, then the relative position embedding (RPE)::

    x = LIF(BN(Conv3x3_{s_i}(x)))        i = 1..4, widths D/8, D/4, D/2, D, strides s_i
    x = x + LIF(BN(Conv3x3(LIF(BN(Conv3x3_{D -> rD}(x))))))  # r = hidden_ratio, back to D
    X0 = x + LIF(BN(Conv3x3(x)))                             # RPE, tokens [T, B, N, D]

Strides (2, 2, 2, 2) for 224^2 ImageNet inputs (14 x 14 tokens) and (1, 1, 2, 2) for 32^2
CIFAR inputs (8 x 8 tokens). Parameters about (4.5 + 18 r + 9) D^2: with r = 4.5 the stem adds
81 D^2 over V1's SPS (14.9 D^2), close to the 83.4 D^2 that the published V2 sizes imply.

**Option A**, V1's SPS (Conv -> BN -> LIF -> [MaxPool(3, 2, 1)] with D/8 .. D channels) with
``extra_half`` supplementary Conv3x3 (D/2 -> D/2) -> BN -> LIF layers after stage 3 and
``extra_full`` Conv3x3 (D -> D) -> BN -> LIF layers after stage 4, then the RPE.

**Sparse mode** (SparK, Tian et al. ICLR 2023, as the sheet's section 6.3 describes it): when a
token-grid mask ``keep`` (bool [B, gh, gw], True = visible) is passed, every conv output is
re-masked at its own resolution (the mask is up-sampled by an integer factor), batch-norm
statistics are taken over the visible positions only and masked positions are written as exact
zeros, and max-pool outputs are re-masked. A LIF neuron whose input stays 0 never reaches its
positive threshold, so masked positions emit no spikes at any layer.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from spikesim.nn.spiking_lif import MultiStepLIF


def mask_at(keep: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """The token-grid mask ``keep`` [B, gh, gw] up-sampled to [B, 1, h, w] (integer factors only)."""
    gh, gw = keep.shape[-2:]
    if h % gh or w % gw:
        raise ValueError(f"a feature map of {h}x{w} is not an integer multiple of the {gh}x{gw} mask grid; "
                         "choose an input size and strides that divide evenly for masked pre-training")
    m = keep[:, None]
    if h != gh:
        m = m.repeat_interleave(h // gh, dim=2)
    if w != gw:
        m = m.repeat_interleave(w // gw, dim=3)
    return m


def sparse_batch_norm(bn: nn.BatchNorm2d, y: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """BatchNorm2d of ``y`` [M, C, H, W] with statistics over the positions where ``m``
    [M, 1, H, W] is True only; 0 elsewhere. Updates ``bn``'s running statistics in training."""
    yl = y.permute(0, 2, 3, 1)                              # [M, H, W, C]
    sel = m[:, 0]
    visible = yl[sel]                                       # [n_visible, C]
    if visible.shape[0] == 0:
        return torch.zeros_like(y)
    training = bn.training or not bn.track_running_stats
    if bn.training and bn.track_running_stats:
        bn.num_batches_tracked.add_(1)
    out = F.batch_norm(visible, bn.running_mean, bn.running_var, bn.weight, bn.bias, training,
                       bn.momentum if bn.momentum is not None else 0.1, bn.eps)
    full = torch.zeros_like(yl).index_put((sel,), out)
    return full.permute(0, 3, 1, 2)


class SpikingConvBN(nn.Module):
    """Conv (no bias) + BatchNorm2d on ``[T, B, C, H, W]`` (T*B flattened), sparse if ``keep`` is given."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int = 3, stride: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, kernel_size, stride=stride, padding=kernel_size // 2, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        T, B = x.shape[:2]
        y = self.conv(x.flatten(0, 1))
        if keep is None:
            y = self.bn(y)
        else:
            m = mask_at(keep, *y.shape[-2:])
            m = m.unsqueeze(0).expand(T, *m.shape).flatten(0, 1)
            y = sparse_batch_norm(self.bn, y * m, m)
        return y.reshape(T, B, *y.shape[1:])


class ConvLIF(nn.Module):
    """LIF(BN(Conv(x)))."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1, v_th: float = 1.0):
        super().__init__()
        self.conv = SpikingConvBN(c_in, c_out, 3, stride)
        self.lif = MultiStepLIF(v_th=v_th)

    def forward(self, x: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        return self.lif(self.conv(x, keep))


def _masked_pool(pool: nn.Module, x: torch.Tensor, keep: torch.Tensor | None) -> torch.Tensor:
    T, B = x.shape[:2]
    y = pool(x.flatten(0, 1))
    y = y.reshape(T, B, *y.shape[1:])
    if keep is not None:
        y = y * mask_at(keep, *y.shape[-2:]).unsqueeze(0).to(y.dtype)
    return y


def _tokens(x: torch.Tensor) -> torch.Tensor:
    return x.flatten(3).transpose(2, 3).contiguous()      # [T, B, D, H, W] -> [T, B, N, D]


def _check_dim(dim: int) -> None:
    if not isinstance(dim, int) or dim < 8 or dim % 8:
        raise ValueError(f"dim must be a positive multiple of 8 (stem widths D/8, D/4, D/2, D), got {dim!r}")


class SCSOptionB(nn.Module):
    """Strided spiking conv stages + one wide SEW-ADD conv block + RPE (the sheet's option B)."""

    kind = "B"

    def __init__(self, in_channels: int, dim: int, strides: Sequence[int] = (2, 2, 2, 2),
                 hidden_ratio: float = 4.5):
        super().__init__()
        _check_dim(dim)
        strides = tuple(int(s) for s in strides)
        if len(strides) != 4 or any(s not in (1, 2) for s in strides):
            raise ValueError(f"strides must be four values of 1 or 2 (one per stage), got {list(strides)}")
        if not hidden_ratio > 0:
            raise ValueError(f"hidden_ratio must be > 0, got {hidden_ratio!r}")
        hidden = max(1, int(round(dim * hidden_ratio)))
        widths = [dim // 8, dim // 4, dim // 2, dim]
        self.strides, self.hidden = strides, hidden
        c = in_channels
        self.stages = nn.ModuleList()
        for w, s in zip(widths, strides):
            self.stages.append(ConvLIF(c, w, stride=s))
            c = w
        self.block_in = ConvLIF(dim, hidden)
        self.block_out = ConvLIF(hidden, dim)
        self.rpe = ConvLIF(dim, dim)

    def forward(self, x: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        for stage in self.stages:
            x = stage(x, keep)
        x = x + self.block_out(self.block_in(x, keep), keep)
        x = x + self.rpe(x, keep)
        return _tokens(x)

    def first_conv_name(self) -> str:
        return "stages.0.conv.conv"


class SCSOptionA(nn.Module):
    """V1's SPS with supplementary spiking convs after stages 3 and 4 (the sheet's option A)."""

    kind = "A"

    def __init__(self, in_channels: int, dim: int, pools: Sequence[bool] = (True, True, True, True),
                 extra_half: int = 1, extra_full: int = 1):
        super().__init__()
        _check_dim(dim)
        if len(pools) != 4:
            raise ValueError(f"pools must have 4 entries (one per stage), got {list(pools)}")
        for name, v in (("extra_half", extra_half), ("extra_full", extra_full)):
            if not isinstance(v, int) or v < 0:
                raise ValueError(f"{name} must be an integer >= 0, got {v!r}")
        widths = [dim // 8, dim // 4, dim // 2, dim]
        self.pools = tuple(bool(p) for p in pools)
        c = in_channels
        self.stages = nn.ModuleList()
        for w in widths:
            self.stages.append(ConvLIF(c, w))
            c = w
        self.pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.extra_half = nn.ModuleList(ConvLIF(dim // 2, dim // 2) for _ in range(extra_half))
        self.extra_full = nn.ModuleList(ConvLIF(dim, dim) for _ in range(extra_full))
        self.rpe = ConvLIF(dim, dim)

    def forward(self, x: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        for i, (stage, pool) in enumerate(zip(self.stages, self.pools)):
            x = stage(x, keep)
            if pool:
                x = _masked_pool(self.pool, x, keep)
            extra = self.extra_half if i == 2 else self.extra_full if i == 3 else ()
            for layer in extra:
                x = layer(x, keep)
        x = x + self.rpe(x, keep)
        return _tokens(x)

    def first_conv_name(self) -> str:
        return "stages.0.conv.conv"


def build_scs(kind: str, in_channels: int, dim: int, *, strides: Sequence[int] = (2, 2, 2, 2),
              hidden_ratio: float = 4.5, pools: Sequence[bool] = (True, True, True, True), extra_half: int = 1,
              extra_full: int = 1) -> nn.Module:
    """``kind`` "B" (default reconstruction) or "A" (SPS + supplementary convs)."""
    if kind == "B":
        return SCSOptionB(in_channels, dim, strides, hidden_ratio)
    if kind == "A":
        return SCSOptionA(in_channels, dim, pools, extra_half, extra_full)
    raise ValueError(f"stem must be 'B' (strided convs + wide block) or 'A' (SPS + supplementary convs), got {kind!r}")


def token_grid(stem: nn.Module, height: int, width: int) -> tuple[int, int]:
    """The (rows, cols) of the token grid that ``stem`` makes of a ``height`` x ``width`` image."""
    def down(n: int, s: int) -> int:        # 3x3 conv / pool with padding 1 and stride s
        return (n - 1) // s + 1
    h, w = height, width
    if isinstance(stem, SCSOptionB):
        for s in stem.strides:
            h, w = down(h, s), down(w, s)
    elif isinstance(stem, SCSOptionA):
        for p in stem.pools:
            if p:
                h, w = down(h, 2), down(w, 2)
    else:
        raise TypeError(f"not an SCS stem: {type(stem).__name__}")
    return h, w
