"""Masked-image pre-training of Spikformer V2 (SparK-style sparse spiking stem, MAE-style decoder).

Spikformer V2 (Zhou et al., arXiv:2401.02020) pre-trains its larger models by masking and
reconstruction "inspired by the mainstream self-supervised Transformer" and fine-tunes them at
T = 1. The paper's recipe could not be read; this is the reconstruction of
``shared/papers/spikformer_v2.md`` section 6.5 (built from SparK's and Spike-Driven-
Transformer-V3's code), each unknown a field of :class:`SSLRecipe` with the sheet's default:

1. A random fraction ``mask_ratio`` (0.5) of the stem's token grid is masked, the same number
   per image (MAE's shuffle-and-keep); masked pixels are set to 0.
2. The spiking stem runs sparse (:mod:`spikesim.nn.scs`): conv outputs re-masked at every
   resolution, BN statistics over visible positions only, so masked positions emit no spikes.
3. Only the visible tokens enter the spiking encoder blocks; the encoder runs at ``T`` = 1.
4. Decoder (non-spiking, discarded afterwards): the encoder output averaged over T ->
   LayerNorm -> Linear to ``decoder_dim``; a learned mask token at every masked position (in
   grid order); plus a fixed 2-D sin-cos position embedding; ``decoder_depth`` pre-norm ViT
   blocks (softmax attention, ``decoder_heads`` heads, GELU MLP x4); LayerNorm; Linear to the
   ``p_h p_w C`` pixels of a patch.
5. Loss: MSE against per-patch normalised pixels (``(x - mean) / sqrt(var + 1e-6)`` over each
   patch, unbiased variance as in MAE/SparK), averaged over the masked patches only::

       L = sum_{n masked} mean_j (pred[n, j] - target[n, j])^2  /  #masked

6. AdamW (0.9, 0.95), weight decay 0.05, lr = 1.5e-4 * batch / 256 unless set, linear warm-up
   over ``warmup_fraction`` of the steps then cosine decay.

Fine-tuning (:func:`prepare_finetune`) keeps stem and blocks, sets the model's T (1 by default)
and re-initialises the classification head.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch import nn

from spikesim.nn.mae_decoder import MAEDecoder, masked_patch_loss, patch_targets, patchify, random_keep
from spikesim.train.images import optimiser_step
from spikesim.train.recipe import SSLRecipe


class MaskedPretrainer(nn.Module):
    """Encoder (a :class:`spikesim.models.spikformer_v2.SpikformerV2`, or any module with its
    ``token_grid``, ``encode_visible``, ``dim``, ``in_channels`` and ``T``; run at ``T``) + :class:`MAEDecoder` for images of
    ``image_size`` (H, W); ``forward(x, keep)`` -> (loss, predicted patches)."""

    def __init__(self, encoder: nn.Module, image_size: tuple[int, int], recipe: SSLRecipe | None = None):
        super().__init__()
        r = recipe or SSLRecipe()
        r.validate()
        self.encoder, self.recipe = encoder, r
        self.image_size = tuple(image_size)
        self.grid = encoder.token_grid(*self.image_size)
        gh, gw = self.grid
        H, W = self.image_size
        if H % gh or W % gw:
            raise ValueError(f"image {H}x{W} is not a whole number of patches of the {gh}x{gw} token grid")
        patch_dim = (H // gh) * (W // gw) * encoder.in_channels
        self.decoder = MAEDecoder(encoder.dim, self.grid, patch_dim, r.decoder_dim, r.decoder_depth, r.decoder_heads)

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        saved_T = self.encoder.T
        self.encoder.T = self.recipe.T
        try:
            z = self.encoder.encode_visible(x, keep)
        finally:
            self.encoder.T = saved_T
        pred = self.decoder(z, keep)
        target = patch_targets(patchify(x, *self.grid), self.recipe.norm_pix)
        return masked_patch_loss(pred.float(), target.float(), keep.reshape(x.shape[0], -1)), pred


def _lr(step: int, total: int, r: SSLRecipe) -> float:
    base = r.effective_lr
    warm = int(round(r.warmup_fraction * total))
    if step < warm:
        return base * (step + 1) / warm
    frac = (step - warm) / max(1, total - warm)
    return r.min_lr + 0.5 * (base - r.min_lr) * (1 + math.cos(math.pi * min(1.0, frac)))


def pretrain(encoder: nn.Module, x_train, recipe: SSLRecipe, device: torch.device, norm=None,
             progress: bool = False) -> dict[str, np.ndarray]:
    """Masked pre-training of ``encoder`` on images ``x_train`` [N, C, H, W] (labels unused).

    ``norm`` maps a batch to the normalised input (default identity). Returns the history
    (``epoch``, ``loss``, ``seconds``, ``steps``); the decoder is discarded."""
    recipe.validate()
    xtr = torch.as_tensor(np.asarray(x_train, np.float32))
    if xtr.dim() != 4:
        raise ValueError(f"x_train must be images [N, C, H, W], got shape {tuple(xtr.shape)}")
    model = MaskedPretrainer(encoder, tuple(xtr.shape[-2:]), recipe).to(device)
    gen = torch.Generator().manual_seed(recipe.seed)
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": recipe.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=recipe.effective_lr,
                            betas=(0.9, recipe.beta2))
    use_amp = recipe.amp and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda") if use_amp else None
    n = len(xtr)
    steps_per_epoch = max(1, n // recipe.batch_size)
    total = recipe.epochs * steps_per_epoch
    if recipe.max_steps:
        total = min(total, recipe.max_steps)
    hist: dict[str, list] = {"epoch": [], "loss": [], "seconds": [], "steps": []}
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=total, desc="ssl-pretrain", leave=False)
    step = 0
    for epoch in range(recipe.epochs):
        if step >= total:
            break
        model.train()
        perm = torch.randperm(n, generator=gen)
        t0 = time.perf_counter()
        loss_sum, seen = 0.0, 0
        for b in range(steps_per_epoch):
            if step >= total:
                break
            xb = xtr[perm[b * recipe.batch_size:(b + 1) * recipe.batch_size]].to(device)
            if norm is not None:
                xb = norm(xb)
            keep = random_keep(len(xb), *model.grid, recipe.mask_ratio, gen, device)
            for g in opt.param_groups:
                g["lr"] = _lr(step, total, recipe)
            with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=use_amp):
                loss, _ = model(xb, keep)
            optimiser_step(opt, loss, scaler)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"ssl-pretrain: loss became {float(loss)} at step {step}")
            loss_sum += float(loss.detach()) * len(xb)
            seen += len(xb)
            step += 1
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{loss_sum / seen:.3f}", epoch=epoch + 1)
        if seen:
            for k, v in (("epoch", epoch + 1), ("loss", loss_sum / seen), ("seconds", time.perf_counter() - t0),
                         ("steps", step)):
                hist[k].append(v)
    if bar is not None:
        bar.close()
    return {k: np.asarray(v) for k, v in hist.items()}


def prepare_finetune(encoder: nn.Module, T: int = 1, seed: int = 0) -> nn.Module:
    """Keep the pre-trained stem and blocks, run at ``T`` time steps, fresh classification head."""
    if not isinstance(T, int) or T < 1:
        raise ValueError(f"fine-tuning T must be a positive integer, got {T!r}")
    encoder.T = T
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        w = torch.empty_like(encoder.head.weight, device="cpu")
        nn.init.trunc_normal_(w, std=0.02, generator=g)
        encoder.head.weight.copy_(w)
        encoder.head.bias.zero_()
    return encoder


__all__ = ["MaskedPretrainer", "pretrain", "prepare_finetune"]
