"""Gated three-factor "when" rule (Yamada & Chao 2025) as plain scalar maths.

Yamada, Y. & Chao, Z. C. (2025). Joint encoding of "what" and "when" predictions through
error-modulated plasticity in reservoir spiking networks. arXiv:2510.14382.

The timing ("when") readout of channel k is zhat_k(t) = w_k . e(t), with e(t) the presynaptic
trace (filtered spike trains of the reservoir). It learns online, every time step, by the product
of three factors:

    dw_ki(t) = eta(t) * G_k(t) * [T_k(t) - zhat_k(t)] * e_i(t)

    e_i(t)   presynaptic factor (eligibility = the filtered spike train, optionally slower)
    T_k - zhat_k   timing error (teacher T_k(t) = g(t - t_k) on trials where event k occurs)
    G_k(t)   attention gate in [0, 1]: open only for the channel that occurred, in its window
    eta(t)   normalised step (NLMS): eta0 / (||e(t)||^2 + eps)

The exact forms (NLMS step, gate window) are a reconstruction (see
``shared/papers/what_when_reservoir.md`` section 3.4); the three-factor structure is the paper's.
The functions are plain arithmetic so that the NumPy reference calls them on arrays and the Numba
driver compiles them with ``numba.njit(inline="always")`` and calls them per synapse.
"""
from __future__ import annotations


def nlms_rate(eta0, norm2, eps):
    """Normalised learning rate eta0 / (||e||^2 + eps)."""
    return eta0 / (norm2 + eps)


def three_factor_dw(pre, err, gate, rate):
    """Weight change of one synapse (or an array of them): rate * gate * err * pre."""
    return rate * gate * err * pre


def timing_error(target, zhat):
    """Second factor: the signed timing error T_k(t) - zhat_k(t)."""
    return target - zhat
