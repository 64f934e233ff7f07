"""Oja's subspace rule on the core: HLOP's lateral subspace neurons learn H by a plastic projection.

Oja (1989), "Neural networks, principal components, and subspaces", Int. J. Neural Syst. 1(1),
61-68; as used by HLOP (Xiao et al., ICLR 2024, section 3.2; ``modules/hlop_module.py``).
k subspace neurons read the presynaptic activity x (n-d) through lateral weights H (k x n),
y = H x, and feed back -H^T y; the weights follow::

    dH_ij = eta * y_i * (x_j - sum_l H_lj y_l)            (Hebbian y x^T, anti-Hebbian y y^T H)

On the core (contract of :mod:`spikesim.plasticity.base`), synapse j -> i of a projection from a
population holding x (``pre_vars``: x is the presynaptic neuron's state variable ``a``, e.g. the
weighted firing rate of :class:`spikesim.neurons.WindowRate`) onto subspace neurons
(:class:`spikesim.neurons.SubspaceNeuron`, whose ``free`` marks the neurons that learn) has
weight w = H_ij, and in each step that learns (M != 0; the rule is ``gated``)::

    y_i     = sum_j w_ij x_j                              (post sum: the subspace neuron's value)
    recon_j = sum_i w_ij y_i                              (pre sum: the feedback H^T y at j)
    d       = clip(M * y_i * (x_j - recon_j), -d_max, d_max)
    mom     <- momentum * mom + (1 - momentum) * d        (per synapse; momentum 0: plain Oja)
    w       <- w + eta * mom                              (only onto free neurons)

M is the modulator: 1 at the last step of each sample window (where x is that window's rate),
0 elsewhere; so one sample gives one Oja step, the online form of the paper's batched update
``Y^T (X - Y H) / B`` (which is the mean of these per-sample terms: B samples at eta = lr / B
make one batched step of rate lr). Frozen neurons (free = 0) take part in y and recon, so free
neurons learn the residual subspace orthogonal to them, as in the paper's code.
"""
from __future__ import annotations

from .base import PlasticityRule


class OjaSubspace(PlasticityRule):
    params = {"eta": 0.01, "momentum": 0.0, "d_max": 10.0}
    state = {"mom": 0.0}
    modulated = True
    gated = True
    pre_vars = {"x": "a"}
    post_vars = {"free": "free"}
    post_sums = ("y",)
    pre_sums = ("recon",)

    def validate(self):
        if not self.values["eta"] > 0:
            raise ValueError(f"OjaSubspace eta must be positive, got {self.values['eta']!r}")
        if not 0.0 <= self.values["momentum"] < 1.0:
            raise ValueError(f"OjaSubspace momentum must be in [0, 1), got {self.values['momentum']!r}")
        if not self.values["d_max"] > 0:
            raise ValueError(f"OjaSubspace d_max must be positive, got {self.values['d_max']!r}")

    @staticmethod
    def post_sum_y(w, x):
        return w * x

    @staticmethod
    def pre_sum_recon(w, y):
        return w * y

    @staticmethod
    def after(w, mom, x, y, recon, free, M, eta, momentum, d_max):
        d = M * y * (x - recon)
        if d > d_max:
            d = d_max
        elif d < -d_max:
            d = -d_max
        m = momentum * mom + (1.0 - momentum) * d
        if free == 0.0:
            return w, mom
        return w + eta * m, m
