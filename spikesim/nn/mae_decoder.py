"""Pieces of the masked-image pre-training of Spikformer V2 (SparK-style sparse stem, MAE-style
decoder): token masks, patches and their normalised targets, the masked-patch loss, and the
light non-spiking decoder. The recipe and the loop are :class:`spikesim.train.recipe.SSLRecipe`
and :mod:`spikesim.train.masked_pretrain`, whose docstring gives the method step by step.
"""
from __future__ import annotations

import torch
from torch import nn


# -- masks, patches and the loss ---------------------------------------------------------------
def random_keep(batch: int, gh: int, gw: int, mask_ratio: float, generator: torch.Generator | None = None,
                device: torch.device | str = "cpu") -> torch.Tensor:
    """Bool [batch, gh, gw], True = visible: ``round(N (1 - mask_ratio))`` visible tokens per
    image (at least 1, at most N - 1), chosen uniformly at random."""
    n = gh * gw
    if n < 2:
        raise ValueError(f"a {gh}x{gw} token grid cannot be masked (need at least 2 tokens)")
    n_keep = min(n - 1, max(1, int(round(n * (1.0 - mask_ratio)))))
    noise = torch.rand(batch, n, generator=generator)
    keep = torch.zeros(batch, n, dtype=torch.bool)
    keep.scatter_(1, noise.argsort(1)[:, :n_keep], True)
    return keep.reshape(batch, gh, gw).to(device)


def patchify(images: torch.Tensor, gh: int, gw: int) -> torch.Tensor:
    """[B, C, H, W] -> [B, gh*gw, ph*pw*C] (row-major patches, each flattened as (ph, pw, C))."""
    B, C, H, W = images.shape
    if H % gh or W % gw:
        raise ValueError(f"image {H}x{W} does not split into a {gh}x{gw} grid of equal patches")
    ph, pw = H // gh, W // gw
    x = images.reshape(B, C, gh, ph, gw, pw).permute(0, 2, 4, 3, 5, 1)
    return x.reshape(B, gh * gw, ph * pw * C)


def patch_targets(patches: torch.Tensor, norm_pix: bool = True, eps: float = 1e-6) -> torch.Tensor:
    if not norm_pix:
        return patches
    mean = patches.mean(-1, keepdim=True)
    var = patches.var(-1, keepdim=True)              # unbiased, as MAE and SparK
    return (patches - mean) / torch.sqrt(var + eps)


def masked_patch_loss(pred: torch.Tensor, target: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Mean over masked patches (``keep`` [B, N] False) of the per-patch MSE; visible patches do
    not enter."""
    if pred.shape != target.shape:
        raise ValueError(f"pred {tuple(pred.shape)} and target {tuple(target.shape)} differ in shape")
    masked = (~keep.reshape(pred.shape[0], -1)).to(pred.dtype)
    if float(masked.sum()) == 0:
        raise ValueError("no masked patch: the loss is undefined")
    per_patch = (pred - target).square().mean(-1)
    return (per_patch * masked).sum() / masked.sum()


def sincos_2d(dim: int, gh: int, gw: int) -> torch.Tensor:
    """Fixed 2-D sin-cos position embedding [gh*gw, dim] (half the channels per axis, MAE-style)."""
    if dim % 4:
        raise ValueError(f"sin-cos embedding needs dim divisible by 4, got {dim}")
    q = dim // 4
    omega = 1.0 / 10000 ** (torch.arange(q, dtype=torch.float64) / q)
    rows, cols = torch.meshgrid(torch.arange(gh, dtype=torch.float64), torch.arange(gw, dtype=torch.float64),
                                indexing="ij")
    parts = []
    for pos in (rows.reshape(-1), cols.reshape(-1)):
        ang = pos[:, None] * omega[None]
        parts += [torch.sin(ang), torch.cos(ang)]
    return torch.cat(parts, 1).float()


def scatter_visible(visible: torch.Tensor, keep: torch.Tensor, fill: torch.Tensor) -> torch.Tensor:
    """Full sequences [B, N, C]: ``visible`` [B, N_vis, C] at the True positions of ``keep`` [B, N]
    (in order), ``fill`` [C] elsewhere."""
    B, N = keep.shape
    out = fill.to(visible.dtype).expand(B, N, visible.shape[-1]).clone()
    return out.masked_scatter(keep[..., None].expand_as(out), visible)


# -- decoder -----------------------------------------------------------------------------------
class DecoderBlock(nn.Module):
    """Pre-norm ViT block: x + MHA(LN(x)); x + MLP(LN(x)), softmax attention and GELU."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 4.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(round(dim * mlp_ratio))
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class MAEDecoder(nn.Module):
    """Light non-spiking decoder from visible encoder tokens to the pixels of every patch."""

    def __init__(self, enc_dim: int, grid: tuple[int, int], patch_dim: int, dim: int = 64, depth: int = 2,
                 heads: int = 4):
        super().__init__()
        self.grid = tuple(grid)
        self.norm_in = nn.LayerNorm(enc_dim)
        self.embed = nn.Linear(enc_dim, dim)
        self.mask_token = nn.Parameter(torch.zeros(dim))
        self.register_buffer("pos", sincos_2d(dim, *self.grid), persistent=False)
        self.blocks = nn.ModuleList(DecoderBlock(dim, heads) for _ in range(depth))
        self.norm_out = nn.LayerNorm(dim)
        self.pred = nn.Linear(dim, patch_dim)
        nn.init.normal_(self.mask_token, std=0.02)

    def forward(self, z_visible: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """``z_visible`` [T, B, N_vis, D] -> predicted patches [B, N, patch_dim]."""
        z = self.embed(self.norm_in(z_visible.mean(0)))
        x = scatter_visible(z, keep.reshape(keep.shape[0], -1), self.mask_token) + self.pos
        for blk in self.blocks:
            x = blk(x)
        return self.pred(self.norm_out(x))


__all__ = ["DecoderBlock", "MAEDecoder", "masked_patch_loss", "patch_targets", "patchify",
           "random_keep", "scatter_visible", "sincos_2d"]
