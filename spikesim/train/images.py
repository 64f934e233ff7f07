"""Training loop of the image classifiers (Spikformer V1/V2 and their ViT comparator).

The recipe follows the Spikformer CIFAR configuration (Zhou et al., ICLR 2023; authors'
``cifar10.yml``): AdamW without weight decay on biases and 1-D parameters, linear warm-up from
``warmup_lr`` then cosine decay to ``min_lr`` (per step), label smoothing, optional Mixup
(turned off after ``mixup_off_epoch``), horizontal flips and random erasing. RandAugment's
reduced op set of the authors is not implemented.

The test split is evaluated after every epoch (the paper reports the best test epoch; both
best and final are kept).
"""
from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from spikesim.train.recipe import TrainRecipe


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} requested but CUDA is not available")
    return torch.device(device)


def lr_at(step: int, steps_per_epoch: int, r: TrainRecipe) -> float:
    """Per-step learning rate: linear warm-up, then cosine from ``lr`` to ``min_lr``."""
    warm = int(round(r.warmup_epochs * steps_per_epoch))
    total = r.epochs * steps_per_epoch
    if step < warm:
        return r.warmup_lr + (r.lr - r.warmup_lr) * step / warm
    frac = (step - warm) / max(1, total - warm)
    return r.min_lr + 0.5 * (r.lr - r.min_lr) * (1 + math.cos(math.pi * min(1.0, frac)))


def optimiser_step(opt: torch.optim.Optimizer, loss: torch.Tensor, scaler=None) -> None:
    """One step on ``loss``: backward (through the float16 ``GradScaler`` when given) and update."""
    opt.zero_grad(set_to_none=True)
    if scaler is not None:
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
    else:
        loss.backward()
        opt.step()


def param_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (no_decay if p.ndim <= 1 else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def _random_erase(x: torch.Tensor, p: float, gen: torch.Generator) -> torch.Tensor:
    """Erase one random rectangle (area 2-33 %, aspect 0.3-3.3) to 0 in a fraction p of images."""
    H, W = x.shape[-2:]
    x = x.clone()
    hit = torch.rand(x.shape[0], generator=gen) < p
    for i in torch.nonzero(hit).flatten().tolist():
        for _ in range(10):
            area = H * W * float(torch.empty(1).uniform_(0.02, 1 / 3, generator=gen))
            logr = float(torch.empty(1).uniform_(math.log(0.3), math.log(1 / 0.3), generator=gen))
            h = int(round(math.sqrt(area * math.exp(logr))))
            w = int(round(math.sqrt(area / math.exp(logr))))
            if 0 < h < H and 0 < w < W:
                top = int(torch.randint(0, H - h + 1, (1,), generator=gen))
                left = int(torch.randint(0, W - w + 1, (1,), generator=gen))
                x[i, ..., top:top + h, left:left + w] = 0
                break
    return x


class Normalizer:
    """Per-channel (x - mean) / std on [B, C, H, W] (or identity for None)."""

    def __init__(self, mean=None, std=None):
        self.mean = None if mean is None else torch.as_tensor(np.asarray(mean, np.float32)).view(1, -1, 1, 1)
        self.std = None if std is None else torch.as_tensor(np.asarray(std, np.float32)).view(1, -1, 1, 1)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.mean is None or x.dim() != 4:
            return x
        return (x - self.mean.to(x.device)) / self.std.to(x.device)


@torch.no_grad()
def predict_logits(model: nn.Module, x: np.ndarray | torch.Tensor, device: torch.device, batch: int,
                   norm: Normalizer) -> torch.Tensor:
    model.eval()
    out = []
    xt = torch.as_tensor(x)
    for i in range(0, len(xt), batch):
        xb = norm(xt[i:i + batch].to(device, non_blocking=True))
        out.append(model(xb).float().cpu())
    return torch.cat(out) if out else torch.empty(0)


def fit(model: nn.Module, x_train, y_train, x_test, y_test, recipe: TrainRecipe, device: torch.device,
        norm: Normalizer | None = None, progress: bool = False, desc: str = "train",
        max_seconds: float | None = None) -> dict[str, np.ndarray]:
    """Train ``model``; return per-epoch history arrays (``epoch``, ``train_loss``, ``train_accuracy``,
    ``test_accuracy``, ``lr``, ``seconds``, ``images_per_second``, ``steps``); ``test_accuracy`` is
    NaN when no test split is given (``x_test=None``). ``max_seconds`` stops training (after the current step, then evaluates) once that much wall time has passed."""
    recipe.validate()
    norm = norm or Normalizer()
    gen = torch.Generator().manual_seed(recipe.seed)
    xtr = torch.as_tensor(np.asarray(x_train, np.float32))
    ytr = torch.as_tensor(np.asarray(y_train, np.int64))
    if device.type == "cuda":
        xtr, ytr = xtr.to(device), ytr.to(device)
    n_classes = int(max(int(ytr.max()), int(np.max(y_test)) if y_test is not None else 0) + 1)
    n = len(xtr)
    steps_per_epoch = max(1, n // recipe.batch_size)           # drop the last partial batch
    opt = torch.optim.AdamW(param_groups(model, recipe.weight_decay), lr=recipe.lr)
    use_amp = recipe.amp and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda") if use_amp else None
    hist: dict[str, list] = {k: [] for k in ("epoch", "train_loss", "train_accuracy", "test_accuracy", "lr",
                                              "seconds", "images_per_second", "steps")}
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=recipe.epochs * steps_per_epoch if not recipe.max_steps
                   else min(recipe.max_steps, recipe.epochs * steps_per_epoch), desc=desc, leave=False)
    step = 0
    t_start = time.perf_counter()
    out_of_time = False
    for epoch in range(recipe.epochs):
        if out_of_time:
            break
        model.train()
        perm = torch.randperm(n, generator=gen)
        t0 = time.perf_counter()
        loss_sum, correct, seen = 0.0, 0, 0
        for b in range(steps_per_epoch):
            if recipe.max_steps and step >= recipe.max_steps:
                break
            if max_seconds is not None and time.perf_counter() - t_start > max_seconds:
                out_of_time = True
                break
            idx = perm[b * recipe.batch_size:(b + 1) * recipe.batch_size]
            xb, yb = xtr[idx.to(xtr.device)], ytr[idx.to(ytr.device)]
            if recipe.hflip:
                flip = (torch.rand(len(xb), generator=gen) < 0.5).to(xb.device)
                xb = torch.where(flip.view(-1, *[1] * (xb.dim() - 1)), xb.flip(-1), xb)
            xb = norm(xb.to(device, non_blocking=True))
            yb = yb.to(device, non_blocking=True)
            if recipe.random_erasing > 0:
                xb = _random_erase(xb.cpu(), recipe.random_erasing, gen).to(device)
            target = F.one_hot(yb, n_classes).float()
            target = target * (1 - recipe.label_smoothing) + recipe.label_smoothing / n_classes
            if recipe.mixup_alpha > 0 and epoch < recipe.mixup_off_epoch:
                lam = float(np.random.default_rng(recipe.seed * 100003 + step).beta(recipe.mixup_alpha,
                                                                                    recipe.mixup_alpha))
                rolled = xb.flip(0)
                xb = lam * xb + (1 - lam) * rolled
                target = lam * target + (1 - lam) * target.flip(0)
            for g in opt.param_groups:
                g["lr"] = lr_at(step, steps_per_epoch, recipe)
            with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=use_amp):
                logits = model(xb)
                loss = torch.sum(-target * F.log_softmax(logits.float(), dim=-1), dim=-1).mean()
            optimiser_step(opt, loss, scaler)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"{desc}: training loss became {float(loss)} at step {step}")
            loss_sum += float(loss.detach()) * len(yb)
            correct += int((logits.argmax(1) == yb).sum())
            seen += len(yb)
            step += 1
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{loss_sum / seen:.3f}", epoch=epoch + 1)
        if device.type == "cuda":
            torch.cuda.synchronize()
        secs = time.perf_counter() - t0
        if seen == 0:
            break
        acc = float("nan") if x_test is None else float(
            (predict_logits(model, x_test, device, recipe.eval_batch, norm).argmax(1).numpy() == np.asarray(y_test)).mean())
        for key, val in (("epoch", epoch + 1), ("train_loss", loss_sum / seen), ("train_accuracy", correct / seen),
                         ("test_accuracy", acc), ("lr", opt.param_groups[0]["lr"]), ("seconds", secs),
                         ("images_per_second", seen / secs), ("steps", step)):
            hist[key].append(val)
        if bar is not None:
            bar.set_postfix(loss=f"{loss_sum / seen:.3f}", test_acc=f"{acc:.3f}", epoch=epoch + 1)
    if bar is not None:
        bar.close()
    return {k: np.asarray(v) for k, v in hist.items()}


__all__ = ["Normalizer", "fit", "lr_at", "optimiser_step", "param_groups", "predict_logits", "resolve_device"]
