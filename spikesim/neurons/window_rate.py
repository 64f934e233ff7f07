"""Weighted firing rate over fixed windows of steps: the presynaptic activity HLOP learns from.

HLOP (Xiao et al., ICLR 2024) feeds its Hebbian subspace learning the *weighted firing rate* of
the DSR-trained LIF neurons (Meng et al., CVPR 2022) over the T time steps of one sample::

    a = sum_{t=1..T} w_t o[t] / sum_t w_t ,   w_t = exp(-(T dt_s - t dt_s) / tau_s) = beta^(T - t)

This unit computes it event by event: its input current I[t] is the presynaptic output o[t] of
the step (a spike amplitude s / dt_s, or a constant for direct coding), and with k the step
within the window (0 at its first step, ``window`` steps per window)::

    acc <- I + (beta * acc if k > 0 else 0)        (the window's exponentially weighted sum)
    a   <- acc / Z ,   Z = sum_{j < window} beta^j  (a is the weighted rate at the window's end)
    k   <- (k + 1) mod window

So at the last step of each window ``a`` equals HLOP's ``weighted_rate`` of that window exactly
(up to float rounding), and windows do not leak into each other. ``beta = 1`` gives the plain
mean. The unit never spikes; plasticity rules read ``a`` through ``pre_vars``.
"""
from __future__ import annotations

from .base import NeuronModel


class WindowRate(NeuronModel):
    state = {"a": 0.0, "acc": 0.0, "k": 0.0}
    params = {"beta": 1.0, "window": 1.0}

    def __init__(self, n, beta=1.0, window=1):
        super().__init__(n, beta=beta, window=float(window))

    def validate(self):
        import numpy as np
        b = np.asarray(self.param_values["beta"])
        w = np.asarray(self.param_values["window"])
        if not np.all((b > 0) & (b <= 1)):
            raise ValueError("WindowRate beta must be in (0, 1]")
        if not np.all((w >= 1) & (w == np.round(w))):
            raise ValueError("WindowRate window must be a positive whole number of steps")

    @staticmethod
    def derived(beta, window):
        z, p = 0.0, 1.0
        for _ in range(int(window)):
            z += p
            p *= beta
        return {"norm": z}

    @staticmethod
    def update(a, acc, k, I, beta, window, norm):
        keep = 1.0 if k > 0.0 else 0.0
        acc = I + keep * beta * acc
        k = k + 1.0
        k = 0.0 if k >= window else k
        return acc / norm, acc, k

    @staticmethod
    def threshold(a):
        return False

    @staticmethod
    def reset(a, acc, k):
        return a, acc, k
