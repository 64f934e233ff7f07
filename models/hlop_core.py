"""HLOP's subspace neurons learned on the event-driven core (``--set subspace_engine=core``).

One HLOP layer (Xiao et al., ICLR 2024) as a core network, built by
:func:`build_subspace_network`:

* ``x``: n :class:`spikesim.neurons.WindowRate` units, one per presynaptic neuron of the layer;
  each sample is a window of W steps in which unit j receives the layer's per-step input o_j[t]
  (the DSR hidden layers' spike outputs s / dt, or the constant image for the input layer), so
  at the window's last step its state ``a`` is HLOP's weighted firing rate
  sum_t beta^(W-t) o[t] / sum_t beta^(W-t) (beta = exp(-dt_DSR / tau_DSR); W = T. BPTT feeds
  the spikes of every step as a sample of its own: W = 1);
* ``h``: k :class:`spikesim.neurons.SubspaceNeuron` units, the old-task (frozen) ones first;
* a lateral plastic projection x -> h with weights H^T and the rule
  :class:`spikesim.plasticity.OjaSubspace` (y = H x, recon = H^T y, dH = eta y (x - recon)^T),
  modulated by M = 1 at the last step of each window.

The paper's batched update repeats ``iterations`` times on each mini-batch of B samples
``H += lr * Mom``, ``Mom = m Mom + (1 - m) Y^T (X - Y H) / B``: the mean of the B per-sample Oja
terms. The core learns online, one Oja step per sample window, so a mini-batch is presented
``iterations`` times, sample after sample, at eta = lr / B per sample: the same learning per
batch to first order in lr (the batch mean is a sum of B terms of lr / B). The clip bounds the
batch step lr * clip(D, -c, c); written per sample, lr * clip(d_s / B, -c, c) =
(lr / B) * clip(d_s, -B c, B c), so the rule's d_max is B * c. Momentum (m = 0.9) acts per
sample step; its buffer restarts at each mini-batch (one network per mini-batch; it spans
~1 / (1 - m) = 10 of the iterations x B steps).

:class:`CoreSubspace` is a :class:`spikesim.nn.hlop.HLOPSubspace` (the same projection, init and
merge) whose ``hebbian_update`` runs that network.
"""
from __future__ import annotations

import math

import numpy as np
import torch

import spikesim as ss
from spikesim.nn.hlop import HLOPSubspace
from spikesim.plasticity.oja_subspace import OjaSubspaceRule


def build_subspace_network(H: np.ndarray, n_frozen: int, windows: np.ndarray, *, eta: float, momentum: float,
                           d_max: float, beta: float, iterations: int = 1, backend: str = "numba",
                           threads: int | None = 1):
    """The core network of one layer's subspace learning (module docstring).

    ``H`` (k, n) initial weights, the first ``n_frozen`` rows frozen; ``windows`` (B, W, n) the
    per-step presynaptic activity of B samples, presented ``iterations`` times in order;
    ``threads``: of the numba backend (1 by default: the network is small and steps are many, so
    a parallel region per step costs more than it saves). Returns ``(net, proj, duration_ms)``."""
    H = np.asarray(H, dtype=np.float64)
    windows = np.asarray(windows, dtype=np.float64)
    if windows.ndim != 3 or windows.shape[2] != H.shape[1]:
        raise ValueError(f"windows must have shape (samples, steps, {H.shape[1]}), got {windows.shape}")
    k, n = H.shape
    B, W, _ = windows.shape
    current = np.tile(windows.reshape(B * W, n), (int(iterations), 1))
    M = np.zeros(current.shape[0])
    M[W - 1::W] = 1.0
    free = np.ones(k)
    free[:n_frozen] = 0.0
    net = ss.Network(dt=1.0, seed=0, backend=backend, threads=threads if backend == "numba" else None)
    x = net.add(ss.neurons.WindowRate(n, beta=beta, window=W), name="x")
    h = net.add(ss.neurons.SubspaceNeuron(k, free=free), name="h")
    net.inject(x, current)
    rule = ss.plasticity.OjaSubspace(modulator=M, eta=eta, momentum=momentum, d_max=d_max)
    proj = net.connect(x, h, H.T.copy(), delays=1.0, target="I", plasticity=rule)
    return net, proj, float(current.shape[0])


def weights_as_matrix(net, proj, k: int, n: int) -> np.ndarray:
    """(k, n) H from the projection's weights (synapse j -> i holds H[i, j])."""
    H = np.zeros((k, n))
    H[proj.post_idx, proj.pre_idx] = net.weights(proj)
    return H


class CoreSubspace(HLOPSubspace):
    """HLOP subspace neurons whose Hebbian learning runs on the core (module docstring)."""

    def __init__(self, n_in: int, rule: OjaSubspaceRule | None = None, *, beta: float = 1.0,
                 backend: str = "numba", dtype=torch.float32):
        super().__init__(n_in, rule, dtype=dtype)
        if not 0 < beta <= 1:
            raise ValueError(f"beta must be in (0, 1], got {beta!r}")
        self.beta, self.backend = float(beta), backend

    @torch.no_grad()
    def hebbian_update(self, windows, iterations: int | None = None) -> None:
        """Oja learning on the core from per-step activity ``windows`` (B, W, n_in)."""
        windows = np.asarray(torch.as_tensor(windows).detach().cpu(), dtype=np.float64)
        if windows.ndim != 3 or windows.shape[2] != self.n_in:
            raise ValueError(f"windows must have shape (samples, steps, {self.n_in}), got {windows.shape}")
        if self.k == self.n_frozen:
            return
        r = self.rule
        net, proj, duration = build_subspace_network(
            self.H.double().numpy(), self.n_frozen, windows, eta=r.lr / windows.shape[0], momentum=r.momentum,
            d_max=r.clip * windows.shape[0], beta=self.beta, iterations=iterations or r.iterations, backend=self.backend)
        net.run(duration)
        H = weights_as_matrix(net, proj, self.k, self.n_in)
        self.H.copy_(torch.as_tensor(H, dtype=self.H.dtype))


def dsr_beta(lif) -> float:
    """beta = exp(-dt / tau) of a DSR LIF layer's weighted firing rate."""
    return math.exp(-lif.dt / lif.tau)


__all__ = ["CoreSubspace", "build_subspace_network", "dsr_beta", "weights_as_matrix"]
