"""ANN comparator for the motion paradigm: a frame-based, non-spiking causal 3-D CNN.

Comparator for Grimaldi & Perrinet (2023) (HD-SNN). It sees the luminance frames ``I(t, x, y)``
of the same movies (not the events) and computes, per voxel, with the same causal receptive
field ``(K_T, K_X, K_Y)`` as the HD-SNN kernel::

    h_k(t, x, y) = relu(b_k + sum_{d, i, j} V(k, d, i, j) I(t - (K_T - 1 - d), x + i - K_X//2, y + j - K_Y//2))
    logit_c(t, x, y) = a_c + sum_k U(c, k) h_k(t, x, y)

with ``n_hidden = 2 * n_classes`` filters by default, so the parameter count
(``n_hidden (K_T K_X K_Y + C + 1) + C``) is close to the HD-SNN's ``2 C K_T K_X K_Y + C``. It is trained
with the same per-voxel softmax cross-entropy and Adam, and scored with the same per-movie
protocol (first frames dropped, top-15 % voxels, argmax).
"""
from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from spikesim.nn.delay_layer import causal_conv3d
from spikesim.train.motion import batched_decisions, train_voxel_classifier


class FrameCNN(nn.Module):
    """Causal 3-D conv (1 -> n_hidden) + ReLU + 1x1x1 conv (n_hidden -> C); input (B, T, X, Y)."""

    def __init__(self, n_classes: int, kernel: tuple[int, int, int], n_hidden: int, seed: int = 0):
        super().__init__()
        if n_hidden < 1:
            raise ValueError(f"n_hidden must be >= 1; got {n_hidden}")
        torch.manual_seed(seed)
        conv = nn.Conv3d(1, n_hidden, tuple(kernel))
        self.weight, self.bias = conv.weight, conv.bias
        self.readout = nn.Conv3d(n_hidden, n_classes, 1)

    def forward(self, frames: torch.Tensor, state=None):
        if frames.dim() != 4:
            raise ValueError(f"frames must have shape (B, T, X, Y); got {tuple(frames.shape)}")
        h = torch.relu(causal_conv3d(frames[:, None], self.weight, self.bias))
        return self.readout(h), None


class ANNFrames:
    """Frame-based CNN classifier with the HD-SNN's ``fit`` / ``decide`` calls; ``predict`` is the
    :class:`~spikesim.models.protocols.Classifier` call (``decide`` with the code's defaults)."""

    name = "ann-frames"

    def __init__(self, n_classes: int = 36, kernel: tuple[int, int, int] = (21, 17, 17), n_hidden: int | None = None,
                 lr: float = 1e-3, loss: str = "ce", seed: int = 0, device: str = "cpu"):
        if loss not in ("ce", "bce"):
            raise ValueError(f"loss must be 'ce' or 'bce'; got {loss!r}")
        self.loss, self.lr, self.seed, self.device = loss, lr, seed, device
        self.kernel = tuple(int(k) for k in kernel)
        self.net = FrameCNN(n_classes, kernel, n_hidden or 2 * n_classes, seed).to(device)
        self.losses = np.empty(0)

    @property
    def n_weights(self) -> int:
        return int(sum(p.numel() for p in self.net.parameters()))

    def fit(self, frames: np.ndarray, labels: np.ndarray, n_steps: int, batch_size: int = 1, progress=None,
            top_fraction: float = 1.0):
        """Train on luminance ``frames`` (N, T, X, Y) and ``labels`` (N, T)."""
        self.losses = train_voxel_classifier(self.net, frames, labels, n_steps, lr=self.lr, batch_size=batch_size,
                                             loss=self.loss, seed=self.seed, device=self.device, progress=progress,
                                             top_fraction=top_fraction)
        return self

    def decide(self, frames: np.ndarray, drop_frames: int, top_fraction: float = 0.15, batch_size: int = 4):
        return batched_decisions(self.net, frames, drop_frames, top_fraction, batch_size, self.device)

    def predict(self, frames: np.ndarray, drop_frames: int | None = None, top_fraction: float = 0.15) -> np.ndarray:
        """Per-movie decisions (N,); ``drop_frames`` defaults to ``K_T`` (the code's protocol)."""
        return self.decide(frames, self.kernel[0] if drop_frames is None else drop_frames, top_fraction)

    def _copy(self) -> "ANNFrames":
        new = copy.copy(self)
        new.net = copy.deepcopy(self.net)
        return new

    def pruned(self, kept_fraction: float) -> "ANNFrames":
        """A copy keeping the ``kept_fraction`` largest-magnitude weights of both convolutions
        (global magnitude quantile, biases untouched)."""
        if not 0 < kept_fraction <= 1:
            raise ValueError(f"kept_fraction must be in (0, 1]; got {kept_fraction}")
        new = self._copy()
        ws = [new.net.weight, new.net.readout.weight]
        with torch.no_grad():
            mag = np.concatenate([w.detach().abs().flatten().cpu().numpy() for w in ws])
            thr = float(np.quantile(mag, 1.0 - kept_fraction))
            for w in ws:
                w.mul_((w.abs() >= thr).to(w.dtype))
        return new

    def shortened(self, n_drop: int) -> "ANNFrames":
        """A copy whose first convolution ignores the ``n_drop`` oldest frames."""
        kt = self.net.weight.shape[2]
        if not 0 <= n_drop < kt:
            raise ValueError(f"n_drop must be in [0, {kt}); got {n_drop}")
        new = self._copy()
        with torch.no_grad():
            new.net.weight[:, :, :n_drop] = 0.0
        return new

    def macs_per_movie(self, n_t: int, n_x: int, n_y: int) -> int:
        """Dense multiply-accumulates of one movie (every weight at every voxel)."""
        return int((self.net.weight.numel() + self.net.readout.weight.numel()) * n_t * n_x * n_y)


__all__ = ["ANNFrames", "FrameCNN"]
