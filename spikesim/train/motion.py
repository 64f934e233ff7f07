"""Training and batched evaluation loops shared by the motion classifiers (HD-SNN and the
frame-based ANN): per-voxel classification of the global motion with Adam, and the per-movie
decision of :func:`spikesim.analysis.motion.movie_decision` computed batch by batch (the full
evidence of a test set does not fit in memory at paper scale)."""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from spikesim.analysis.motion import movie_decision
from spikesim.nn.delay_layer import classification_loss


def train_voxel_classifier(module: torch.nn.Module, inputs: np.ndarray, labels: np.ndarray, n_steps: int,
                           lr: float = 1e-4, batch_size: int = 1, loss: str = "ce", seed: int = 0,
                           device: str = "cpu", to_tensor: Callable | None = None,
                           progress: Callable[[int], None] | None = None, top_fraction: float = 1.0) -> np.ndarray:
    """Adam on ``classification_loss(module(x)[0], labels)``; minibatches drawn without replacement,
    epoch after epoch, from ``inputs[i]`` (N, ...) with ``labels`` (N, T); ``top_fraction`` is the
    sparse-target mode of :func:`classification_loss`. Returns the loss per step."""
    n = len(inputs)
    if n == 0 or len(labels) != n:
        raise ValueError(f"inputs and labels must be non-empty and of equal length; got {n}, {len(labels)}")
    if n_steps < 0 or batch_size < 1:
        raise ValueError(f"n_steps must be >= 0 and batch_size >= 1; got {n_steps}, {batch_size}")
    to_tensor = to_tensor or (lambda a: torch.as_tensor(a, dtype=torch.float32))
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(module.parameters(), lr=lr)
    module.train()
    losses = np.empty(n_steps)
    order = rng.permutation(n)
    pos = 0
    for step in range(n_steps):
        if pos + batch_size > n:
            order, pos = rng.permutation(n), 0
        idx = np.sort(order[pos:pos + batch_size])
        pos += batch_size
        x = to_tensor(inputs[idx]).to(device)
        y = torch.as_tensor(labels[idx], dtype=torch.long, device=device)
        opt.zero_grad(set_to_none=True)
        out, _ = module(x)
        value = classification_loss(out, y, loss, top_fraction)
        value.backward()
        opt.step()
        losses[step] = float(value.detach())
        if not np.isfinite(losses[step]):
            raise FloatingPointError(f"training loss became {losses[step]} at step {step}; lower lr (now {lr})")
        if progress is not None:
            progress(1)
    module.eval()
    return losses


@torch.no_grad()
def batched_decisions(module: torch.nn.Module, inputs: np.ndarray, drop_frames: int, top_fraction: float,
                      batch_size: int = 4, device: str = "cpu", to_tensor: Callable | None = None) -> np.ndarray:
    """Per-movie class decisions (N,) by the code's protocol (first frames dropped, top voxels)."""
    to_tensor = to_tensor or (lambda a: torch.as_tensor(a, dtype=torch.float32))
    module.eval()
    out = np.empty(len(inputs), dtype=np.int64)
    for i in range(0, len(inputs), batch_size):
        z, _ = module(to_tensor(inputs[i:i + batch_size]).to(device))
        z = z.float().cpu().numpy()
        for j in range(z.shape[0]):
            out[i + j] = movie_decision(z[j], drop_frames, top_fraction)[0]
    return out


__all__ = ["train_voxel_classifier", "batched_decisions"]
