"""Two-factor "what" rule (Yamada & Chao 2025): offline consolidation at the end of a trial.

Yamada, Y. & Chao, Z. C. (2025), arXiv:2510.14382. The identity ("what") readout of channel k is
q_k = v_k . rbar, with rbar the reservoir state (filtered spike trains) averaged over a post-cue
window that ends before the earliest possible event. Once per trial, after the outcome is known:

    dv_k = eta_q * (o_k - q_k) * rbar          o_k = 1 if event k occurred, else 0
    eta_q = alpha / (||rbar||^2 + eps)          (normalised step, a reconstruction)

With the normalised step this is an exponential moving average of the outcome along rbar:
q_k <- q_k + alpha (o_k - q_k) when rbar repeats, so q_k tracks p(k) with memory ~1/alpha trials
(shared/papers/what_when_reservoir.md section 3.4). Plain arithmetic: works on NumPy arrays and
compiles with numba.
"""
from __future__ import annotations


def what_rate(alpha, norm2, eps):
    """Normalised step alpha / (||rbar||^2 + eps)."""
    return alpha / (norm2 + eps)


def two_factor_dv(pre, outcome, q, rate):
    """Weight change: rate * (o_k - q_k) * rbar (pre may be an array)."""
    return rate * (outcome - q) * pre
