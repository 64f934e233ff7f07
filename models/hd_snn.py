"""HD-SNN: Grimaldi & Perrinet (2023), "Learning heterogeneous delays in a layer of spiking
neurons for fast motion detection", Biol. Cybern. doi:10.1007/s00422-023-00975-8.

A :class:`~spikesim.models.protocols.Classifier` (``fit`` / ``predict``; ``decide`` with the test
protocol's settings) around :class:`spikesim.nn.delay_layer.HeterogeneousDelayLayer`.
For each class ``c`` and position ``(x, y)``::

    B(c, t, x, y) = beta_c + sum_{p, d, i, j} K(c, p, d, i, j) A(p, t - (K_T - 1 - d), x + i - K_X//2, y + j - K_Y//2)
    logit = max(B[A], B[A with ON and OFF swapped])
    Pr(c | t, x, y) = softmax_c(logit)          (authors' code; ``loss="bce"``: sigmoid, paper text)

trained by Adam on the per-voxel cross-entropy against the current motion label, with the cone
mask projection ``K <- clamp(K, -M max|K|, M max|K|)`` before every forward pass. Output spikes:
``logit >= theta`` with ``theta`` giving ~1 spike per second per neuron.

``pruned(kept_fraction)`` zeroes the weights below the ``1 - kept_fraction`` quantile of
``|K|`` over the whole tensor; ``shortened(n_drop)`` zeroes the ``n_drop`` longest delays
(kernel indices ``0 .. n_drop - 1``); ``lower(events)`` gives the event-driven form, a network of
the core (:mod:`spikesim.models.hd_snn_lowering`).
"""
from __future__ import annotations

import copy

import numpy as np
import torch

from spikesim.nn.delay_layer import HeterogeneousDelayLayer
from spikesim.train.motion import batched_decisions, train_voxel_classifier


class HDSNN:
    """Heterogeneous-delay spiking layer as a motion classifier (see the module docstring)."""

    name = "hd-snn"

    def __init__(self, n_classes: int = 36, kernel: tuple[int, int, int] = (21, 17, 17), lr: float = 2e-4,
                 loss: str = "ce", use_mask: bool = True, symmetric: bool = True, bias: bool = True,
                 weight_init: float = 0.01, weight_init_center: float = 4.0, seed: int = 0, device: str = "cpu"):
        if loss not in ("ce", "bce"):
            raise ValueError(f"loss must be 'ce' or 'bce'; got {loss!r}")
        if not lr > 0:
            raise ValueError(f"lr must be positive; got {lr}")
        self.loss, self.lr, self.seed, self.device = loss, lr, seed, device
        torch.manual_seed(seed)
        self.layer = HeterogeneousDelayLayer(n_classes=n_classes, kernel=tuple(kernel), use_mask=use_mask,
                                             symmetric=symmetric, bias=bias, weight_init=weight_init,
                                             weight_init_center=weight_init_center, seed=seed).to(device)
        self.losses = np.empty(0)

    @property
    def kernel(self):
        return self.layer.kernel

    @property
    def n_weights(self) -> int:
        return int(self.layer.weight.numel())

    def fit(self, events: np.ndarray, labels: np.ndarray, n_steps: int, batch_size: int = 1, progress=None,
            top_fraction: float = 1.0):
        """Train on ``events`` (N, 2, T, X, Y) uint8 and ``labels`` (N, T)."""
        self.losses = train_voxel_classifier(self.layer, events, labels, n_steps, lr=self.lr, batch_size=batch_size,
                                             loss=self.loss, seed=self.seed, device=self.device, progress=progress,
                                             top_fraction=top_fraction)
        return self

    def decide(self, events: np.ndarray, drop_frames: int, top_fraction: float = 0.15, batch_size: int = 4):
        """Per-movie decisions (N,) by the code's test protocol."""
        return batched_decisions(self.layer, events, drop_frames, top_fraction, batch_size, self.device)

    def predict(self, events: np.ndarray, drop_frames: int | None = None, top_fraction: float = 0.15) -> np.ndarray:
        """Per-movie decisions (N,); ``drop_frames`` defaults to ``K_T`` (the code's protocol)."""
        return self.decide(events, self.kernel[0] if drop_frames is None else drop_frames, top_fraction)

    @torch.no_grad()
    def evidence(self, events: np.ndarray) -> np.ndarray:
        """Logits ``(N, C, T, X, Y)`` (float32) of a few movies."""
        self.layer.eval()
        z, _ = self.layer(torch.as_tensor(np.asarray(events), dtype=torch.float32).to(self.device))
        return z.cpu().numpy()

    def _copy(self) -> "HDSNN":
        new = copy.copy(self)
        new.layer = copy.deepcopy(self.layer)
        return new

    def pruned(self, kept_fraction: float) -> "HDSNN":
        """A copy keeping the ``kept_fraction`` largest-magnitude weights (ties at the threshold kept)."""
        if not 0 < kept_fraction <= 1:
            raise ValueError(f"kept_fraction must be in (0, 1]; got {kept_fraction}")
        new = self._copy()
        with torch.no_grad():
            w = new.layer.weight
            mag = w.detach().abs().flatten().cpu().numpy()
            thr = np.quantile(mag, 1.0 - kept_fraction)
            w.mul_((w.abs() >= float(thr)).to(w.dtype))
        return new

    def shortened(self, n_drop: int) -> "HDSNN":
        """A copy with the ``n_drop`` longest delays removed (kept fraction ``1 - n_drop / K_T``)."""
        kt = self.kernel[0]
        if not 0 <= n_drop < kt:
            raise ValueError(f"n_drop must be in [0, {kt}); got {n_drop}")
        new = self._copy()
        with torch.no_grad():
            new.layer.weight[:, :, :n_drop] = 0.0
        return new

    def nonzero_fraction(self) -> float:
        return float((self.layer.weight != 0).float().mean())

    def lower(self, events: np.ndarray, backend: str = "numba", theta: float | None = None, synapses: str = "conv",
              threads: int | None = None, dtype="float64"):
        """The layer on the event-driven core (``ss.Network``, see :mod:`spikesim.models.hd_snn_lowering`:
        ``synapses="conv"`` one weight-shared projection, ``"lines"`` / ``"pixels"`` explicit
        synapses), fed with ``events`` (N, 2, T, X, Y) movie after movie; ``dtype``: of the
        weights and the ring (``"float32"``: half the memory the event pass streams)."""
        from spikesim.models.hd_snn_lowering import lower_delay_layer

        bias = None if self.layer.bias is None else self.layer.bias.detach().cpu().numpy()
        return lower_delay_layer(self.kernels(), bias, self.layer.symmetric, events, backend=backend, theta=theta,
                                 synapses=synapses, threads=threads, dtype=dtype)

    def kernels(self) -> np.ndarray:
        """Weights ``(C, 2, K_T, K_X, K_Y)`` (projected on the mask when training ended)."""
        return self.layer.weight.detach().cpu().numpy().copy()


class HDSNNEvent:
    """The event-driven lowering of a trained :class:`HDSNN` onto the core (model name
    ``hd-snn-event``): a ``SpikeSource`` of the ON/OFF events, the kernel as one weight-shared
    projection (``ss.connectivity.Conv2D``, each non-zero weight with its delay), and :class:`spikesim.neurons.MaxReadout` units whose
    ``z`` is the logit (:mod:`spikesim.models.hd_snn_lowering`). The movies run through one network
    one after another; the decisions are those of the dense layer, and the synaptic operations
    are the core's event counts; ``dtype="float32"`` stores the weights and the ring in float32.
    After :meth:`decide`: ``last_sops`` (per movie), ``last_build_seconds`` (synapses, plan and
    kernel) and ``last_run_seconds`` (per movie, the core's simulation loop only)."""

    name = "hd-snn-event"

    def __init__(self, model: HDSNN, backend: str = "numba", dtype: str = "float64"):
        self.model = model
        self.backend = backend
        self.dtype = dtype                # of the core's weights and ring (ss.Network)
        self.last_sops = np.empty(0, dtype=np.int64)
        self.last_run_seconds = np.empty(0)
        self.last_build_seconds = 0.0

    def evidence(self, events: np.ndarray):
        """Yield the logits ``(C, T, X, Y)`` of each movie of ``events`` (N, 2, T, X, Y), as the core
        computes them; fills ``last_sops``, ``last_run_seconds`` and ``last_build_seconds``."""
        import time

        from spikesim.models.hd_snn_lowering import movie_evidence, movie_period

        events = np.asarray(events)
        n, _, n_t, n_x, n_y = events.shape
        c, kt = self.model.layer.n_classes, self.model.kernel[0]
        t0 = time.perf_counter()
        net = self.model.lower(events, backend=self.backend, dtype=self.dtype)
        period = movie_period(n_t, kt)
        self.last_sops = np.zeros(n, dtype=np.int64)
        self.last_run_seconds = np.zeros(n)
        for i in range(n):
            res = net.run(period)
            if i == 0:       # the plan and the kernel are built by the first run
                self.last_build_seconds = time.perf_counter() - t0 - res.meta["run_seconds"]
            self.last_sops[i] = res.meta["synaptic_events"]
            self.last_run_seconds[i] = res.meta["run_seconds"]
            yield movie_evidence(res, c, n_t, n_x, n_y)

    def decide(self, events: np.ndarray, drop_frames: int, top_fraction: float = 0.15) -> np.ndarray:
        from spikesim.analysis.motion import movie_decision

        return np.array([movie_decision(z, drop_frames, top_fraction)[0] for z in self.evidence(events)],
                        dtype=np.int64)

    def fit(self, events: np.ndarray, labels: np.ndarray, **options) -> "HDSNNEvent":
        """Train the dense layer (:meth:`HDSNN.fit`); the lowering is built from its weights at the
        next :meth:`predict`."""
        self.model.fit(events, labels, **options)
        return self

    def predict(self, events: np.ndarray, drop_frames: int | None = None, top_fraction: float = 0.15) -> np.ndarray:
        """Per-movie decisions (N,) event by event; ``drop_frames`` defaults to ``K_T``."""
        return self.decide(events, self.model.kernel[0] if drop_frames is None else drop_frames, top_fraction)


def shorten_decisions(model: HDSNN, events: np.ndarray, drop_frames: int, top_fraction: float = 0.15) -> np.ndarray:
    """Decisions ``(K_T, N)`` of the model shortened by ``n_drop = 0 .. K_T - 1`` longest delays,
    from one pass: the evidence is linear in the per-delay contributions ``B_d`` before the ON/OFF
    max, so ``B[n_drop] = beta + sum_{d >= n_drop} B_d`` (a reverse cumulative sum). Memory
    ``T C K_T X Y`` per movie: meant for small movies (use dense passes at paper scale)."""
    from spikesim.analysis.motion import movie_decision

    layer = model.layer
    layer.eval()
    w = layer.weight.detach()
    c, npol, kt, kx, ky = w.shape
    w2 = w.permute(0, 2, 1, 3, 4).reshape(c * kt, npol, kx, ky)          # (C K_T, P, KX, KY)
    bias = layer.bias.detach() if layer.bias is not None else torch.zeros(c, device=w.device)
    out = np.empty((kt, len(events)), dtype=np.int64)
    sets = [lambda a: a, lambda a: a.flip(0)] if layer.symmetric else [lambda a: a]
    with torch.no_grad():
        for i in range(len(events)):
            a = torch.as_tensor(np.asarray(events[i]), dtype=w.dtype, device=w.device)  # (P, T, X, Y)
            n_t = a.shape[1]
            best = None
            for f in sets:
                frames = torch.nn.functional.pad(f(a).transpose(0, 1), (ky // 2, ky // 2, kx // 2, kx // 2))
                per = torch.nn.functional.conv2d(frames, w2).reshape(n_t, c, kt, frames.shape[2] - kx + 1, -1)
                # contribution of kernel index d at time t comes from frame t - (kt - 1 - d)
                contrib = torch.zeros((kt, c, n_t) + per.shape[3:], dtype=w.dtype, device=w.device)
                for d in range(kt):
                    lag = kt - 1 - d
                    contrib[d, :, lag:] = per[: n_t - lag, :, d].transpose(0, 1) if lag < n_t else 0
                cum = torch.flip(torch.cumsum(torch.flip(contrib, [0]), 0), [0]) + bias[None, :, None, None, None]
                best = cum if best is None else torch.maximum(best, cum)
            z = best.cpu().numpy()
            for n_drop in range(kt):
                out[n_drop, i] = movie_decision(z[n_drop], drop_frames, top_fraction)[0]
    return out


def oracle_kernels(phi: np.ndarray, speed: np.ndarray, kernel: tuple[int, int, int]) -> np.ndarray:
    """Hand-built delay lines ``(C, 2, K_T, K_X, K_Y)``: for class ``c`` and delay ``delta``, weight
    1 (bilinearly spread) at the offset ``-delta v_c (cos phi_c, sin phi_c)`` for both polarities, so
    the neuron sums the events that an edge moving at the class velocity left along its path.
    A sanity check of stimuli, delays and decision (the paper sheet's "oracle kernel")."""
    kt, kx, ky = kernel
    w = np.zeros((len(phi), 2, kt, kx, ky))
    for c in range(len(phi)):
        for delta in range(kt):
            px = kx // 2 - delta * speed[c] * np.cos(phi[c])
            py = ky // 2 - delta * speed[c] * np.sin(phi[c])
            i0, j0 = int(np.floor(px)), int(np.floor(py))
            fx, fy = px - i0, py - j0
            for di, wx in ((0, 1 - fx), (1, fx)):
                for dj, wy in ((0, 1 - fy), (1, fy)):
                    if 0 <= i0 + di < kx and 0 <= j0 + dj < ky:
                        w[c, :, kt - 1 - delta, i0 + di, j0 + dj] += wx * wy
    return w


__all__ = ["HDSNN", "HDSNNEvent", "shorten_decisions", "oracle_kernels"]
