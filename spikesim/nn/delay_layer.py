"""Heterogeneous-delay spiking layer (HD-SNN), Grimaldi & Perrinet (2023), "Learning heterogeneous
delays in a layer of spiking neurons for fast motion detection", Biol. Cybern.
doi:10.1007/s00422-023-00975-8.

Each output neuron (class ``c`` at position ``(x, y)``) sums binary ON/OFF input events
``A(p, t, x, y)`` through synapses with weights over a grid of delays and positions::

    B(c, t, x, y) = beta_c + sum_{p, d, i, j} K(c, p, d, i, j) A(p, t - (K_T - 1 - d), x + i - K_X//2, y + j - K_Y//2)

i.e. a causal 3-D convolution (kernel index ``d = K_T - 1`` is delay 0, index 0 the longest
delay ``K_T - 1`` ms). The ON/OFF symmetry ("complex cell") takes
``logit = max(B[A], B[A with the two polarities swapped])``. Training (the authors' code) is a
softmax cross-entropy per voxel against the current motion class (``loss="bce"`` gives the
paper text's sigmoid + binary cross-entropy instead); the probability is
``Pr(c | t, x, y) = softmax_c(logit)`` (or ``sigmoid(logit)``). Output spikes are
``logit >= theta`` with ``theta`` set so that neurons fire about ``rate_hz`` (1 Hz) on average.

Cone mask (code: ``create_mask``): with ``tau_d = d / (K_T - 1)``, ``x_i, y_j`` on
``linspace(-1, 1, K + 2)[1:-1]`` and ``r = sqrt(x^2 + y^2)``::

    M(d, i, j) = ((cos(pi r) + 1) / 2 * [r < 1]) ** (1 / exponent) * exp(-r^2 / (2 (v_max (1 - tau_d) + r_0)^2))

and before every training forward pass ``K <- clamp(K, -M max|K|, +M max|K|)`` (a projection,
no grad; applied once more when the layer is switched to eval mode).

Tensors: input ``(B, 2, T, X, Y)`` (channel 0 = OFF, 1 = ON), output logits ``(B, C, T, X, Y)``.
``forward(A, state)`` returns ``(logits, state)`` where ``state`` is the last ``K_T - 1`` input
frames, so a long stream can be processed in chunks with the same result.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def cone_mask(kernel: tuple[int, int, int], exponent: float = 4.0, r_0: float = 0.05, v_max: float = 2.5) -> torch.Tensor:
    """The cone-shaped mask ``M (K_T, K_X, K_Y)`` of the authors' code (module docstring)."""
    kt, kx, ky = _check_kernel(kernel)
    tau = torch.linspace(0, 1, kt, dtype=torch.float64) if kt > 1 else torch.ones(1, dtype=torch.float64)
    x = torch.linspace(-1, 1, kx + 2, dtype=torch.float64)[1:-1]
    y = torch.linspace(-1, 1, ky + 2, dtype=torch.float64)[1:-1]
    r = torch.sqrt(x[:, None] ** 2 + y[None, :] ** 2)
    aperture = ((torch.cos(math.pi * r) + 1) / 2 * (r < 1)) ** (1.0 / exponent)
    width = v_max * (1 - tau) + r_0
    cone = torch.exp(-r[None] ** 2 / (2 * width[:, None, None] ** 2))
    return (aperture[None] * cone).float()


def _check_kernel(kernel):
    if len(kernel) != 3 or any(int(k) != k or k < 1 for k in kernel):
        raise ValueError(f"kernel must be three positive integers (K_T, K_X, K_Y); got {kernel}")
    if kernel[1] % 2 == 0 or kernel[2] % 2 == 0:
        raise ValueError(f"kernel spatial sizes must be odd (centred); got {kernel}")
    return int(kernel[0]), int(kernel[1]), int(kernel[2])


def causal_conv3d(a: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                  history: torch.Tensor | None = None, method: str = "auto") -> torch.Tensor:
    """Causal in time, 'same' in space: left-pad ``K_T - 1`` frames (zeros, or ``history``),
    pad ``K//2`` in space, cross-correlate. ``a`` is ``(B, C_in, T, X, Y)``.

    ``method``: ``"direct"`` (``F.conv3d``), ``"fft"`` (the same cross-correlation through
    real FFTs of the padded size, no wrap-around for the kept outputs; equal within float
    rounding and far cheaper for large kernels), or ``"auto"`` (FFT for kernels of >= 2048 taps, e.g. the full 21x17x17).
    """
    kt, kx, ky = weight.shape[2:]
    if history is None:
        a = F.pad(a, (ky // 2, ky // 2, kx // 2, kx // 2, kt - 1, 0))
    else:
        a = torch.cat([history.to(a.dtype), a], dim=2)
        a = F.pad(a, (ky // 2, ky // 2, kx // 2, kx // 2, 0, 0))
    if method == "auto":
        method = "fft" if kt * kx * ky >= 2048 else "direct"
    if method == "direct":
        return F.conv3d(a, weight, bias)
    if method != "fft":
        raise ValueError(f"method must be 'auto', 'direct' or 'fft'; got {method!r}")
    size = a.shape[2:]
    out_shape = (size[0] - kt + 1, size[1] - kx + 1, size[2] - ky + 1)
    fa = torch.fft.rfftn(a, s=size, dim=(2, 3, 4))                      # (B, P, ...)
    fw = torch.fft.rfftn(weight, s=size, dim=(2, 3, 4))                 # (C, P, ...)
    fw = fw.conj()
    fz = fa[:, 0, None] * fw[None, :, 0]                                # sum over input channels,
    for p in range(1, fa.shape[1]):                                     # elementwise (no batched matmul)
        fz = fz + fa[:, p, None] * fw[None, :, p]
    z = torch.fft.irfftn(fz, s=size, dim=(2, 3, 4))[:, :, :out_shape[0], :out_shape[1], :out_shape[2]]
    if bias is not None:
        z = z + bias[None, :, None, None, None]
    return z.contiguous()


class HeterogeneousDelayLayer(nn.Module):
    """One layer of ``n_classes`` motion-selective neurons per position with a dense weight per
    (polarity, delay, dx, dy) synapse (see the module docstring for the equations)."""

    def __init__(self, n_classes: int = 36, kernel: tuple[int, int, int] = (21, 17, 17), n_pol: int = 2,
                 use_mask: bool = True, symmetric: bool = True, bias: bool = True, weight_init: float = 0.01,
                 weight_init_center: float = 4.0, mask_exponent: float = 4.0, mask_r0: float = 0.05,
                 mask_v_max: float = 2.5, seed: int | None = None):
        super().__init__()
        if n_classes < 1:
            raise ValueError(f"n_classes must be >= 1; got {n_classes}")
        if n_pol not in (1, 2):
            raise ValueError(f"n_pol must be 1 or 2; got {n_pol}")
        if symmetric and n_pol != 2:
            raise ValueError("symmetric=True (ON/OFF max) needs n_pol=2")
        self.kernel = _check_kernel(kernel)
        self.n_classes, self.n_pol = n_classes, n_pol
        self.use_mask, self.symmetric = use_mask, symmetric
        self.register_buffer("mask", cone_mask(self.kernel, mask_exponent, mask_r0, mask_v_max))
        gen = torch.Generator().manual_seed(int(seed)) if seed is not None else None
        w = weight_init * torch.randn((n_classes, n_pol) + self.kernel, generator=gen)
        if use_mask:
            w = w * self.mask
        kt, kx, ky = self.kernel
        if n_pol == 2:
            w[:, 1, kt - 1, kx // 2, ky // 2] = weight_init_center   # ON at delay 0, centre
            w[:, 0, kt - 1, kx // 2, ky // 2] = -weight_init_center  # OFF
        self.weight = nn.Parameter(w)
        if bias:
            bound = 1.0 / math.sqrt(n_pol * kt * kx * ky)
            self.bias = nn.Parameter((torch.rand(n_classes, generator=gen) * 2 - 1) * bound)
        else:
            self.register_parameter("bias", None)

    @torch.no_grad()
    def project_(self) -> None:
        """The mask projection ``K <- clamp(K, -M max|K|, M max|K|)`` (called before every forward)."""
        if self.use_mask:
            bound = self.mask * self.weight.abs().max()
            self.weight.copy_(torch.maximum(torch.minimum(self.weight, bound), -bound))

    def train(self, mode: bool = True):
        """Switching to eval applies the mask projection once; eval forwards leave weights alone
        (the projection rescales with ``max|K|``, so repeating it is not idempotent)."""
        if not mode and self.training:
            self.project_()
        return super().train(mode)

    def forward(self, a: torch.Tensor, state: torch.Tensor | None = None):
        """``a`` (B, n_pol, T, X, Y) binary events -> ``(logits (B, C, T, X, Y), state)``."""
        if a.dim() != 5 or a.shape[1] != self.n_pol:
            raise ValueError(f"input must have shape (B, {self.n_pol}, T, X, Y); got {tuple(a.shape)}")
        if self.training:
            self.project_()
        a = a.to(self.weight.dtype)
        z = causal_conv3d(a, self.weight, self.bias, state)
        if self.symmetric:
            zf = causal_conv3d(a.flip(1), self.weight, self.bias, None if state is None else state.flip(1))
            z = torch.maximum(z, zf)
        kt = self.kernel[0]
        full = a if state is None else torch.cat([state.to(a.dtype), a], dim=2)
        if full.shape[2] < kt - 1:
            full = F.pad(full, (0, 0, 0, 0, kt - 1 - full.shape[2], 0))
        new_state = full[:, :, full.shape[2] - (kt - 1):].detach()
        return z, new_state

    # -- readouts -----------------------------------------------------------------------------
    def probabilities(self, logits: torch.Tensor, loss: str = "ce") -> torch.Tensor:
        """``softmax`` over classes (``loss="ce"``) or ``sigmoid`` (``"bce"``)."""
        return torch.softmax(logits, dim=1) if loss == "ce" else torch.sigmoid(logits)

    @staticmethod
    def spike_threshold(logits: torch.Tensor, rate_hz: float = 1.0, dt_ms: float = 1.0) -> float:
        """Threshold on the logits so that the neurons fire ``rate_hz`` on average (paper §2.3)."""
        p = rate_hz * dt_ms * 1e-3
        if not 0 < p < 1:
            raise ValueError(f"rate_hz * dt_ms must give a spike probability in (0, 1); got {p}")
        flat = logits.detach().flatten().float()
        k = max(1, int(round(p * flat.numel())))
        return float(torch.topk(flat, k).values[-1])

    @staticmethod
    def spikes(logits: torch.Tensor, threshold: float) -> torch.Tensor:
        """Binary output spikes ``logit >= threshold`` (B, C, T, X, Y)."""
        return logits >= threshold


def classification_loss(logits: torch.Tensor, labels: torch.Tensor, loss: str = "ce",
                        top_fraction: float = 1.0) -> torch.Tensor:
    """Per-voxel loss: ``labels`` (B, T) of the global motion, broadcast over (X, Y).
    ``"ce"``: softmax cross-entropy (the authors' code); ``"bce"``: sigmoid + binary CE against
    one-hot targets (the paper's text). ``top_fraction < 1`` is the code's sparse-target mode
    ``p_B``: the one-hot target is kept only at the voxels whose max-over-class logit is in the
    top fraction of each movie; elsewhere the target is uniform (1/C)."""
    if labels.dim() != 2 or labels.shape != logits.shape[:1] + logits.shape[2:3]:
        raise ValueError(f"labels must have shape (B, T) = {tuple(logits.shape[:1] + logits.shape[2:3])}; "
                         f"got {tuple(labels.shape)}")
    if loss not in ("ce", "bce"):
        raise ValueError(f"loss must be 'ce' or 'bce'; got {loss!r}")
    if not 0 < top_fraction <= 1:
        raise ValueError(f"top_fraction must be in (0, 1]; got {top_fraction}")
    target = labels[:, :, None, None].expand(-1, -1, logits.shape[3], logits.shape[4])
    if top_fraction >= 1:
        if loss == "ce":
            return F.cross_entropy(logits, target)
        onehot = F.one_hot(target, logits.shape[1]).permute(0, 4, 1, 2, 3).to(logits.dtype)
        return F.binary_cross_entropy_with_logits(logits, onehot)
    n_cls = logits.shape[1]
    with torch.no_grad():
        m = logits.detach().amax(dim=1).flatten(1)                       # (B, T X Y)
        k = max(1, int(round(top_fraction * m.shape[1])))
        thr = torch.topk(m, k, dim=1).values[:, -1:]
        keep = (m >= thr).reshape(logits.shape[:1] + logits.shape[2:])  # (B, T, X, Y)
        soft = F.one_hot(target, n_cls).permute(0, 4, 1, 2, 3).to(logits.dtype)
        soft = torch.where(keep[:, None], soft, torch.full_like(soft, 1.0 / n_cls))
    if loss == "ce":
        return -(soft * F.log_softmax(logits, dim=1)).sum(1).mean()
    return F.binary_cross_entropy_with_logits(logits, soft)


__all__ = ["HeterogeneousDelayLayer", "cone_mask", "causal_conv3d", "classification_loss"]
