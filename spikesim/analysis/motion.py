"""Metrics of the motion paradigm (Grimaldi & Perrinet 2023, evaluation of the authors' code).

* :func:`movie_decision`: drop the first ``drop_frames`` bins, keep the voxels ``(t, x, y)``
  whose max-over-class evidence is in the top ``top_fraction`` (0.15) of the movie, score each
  class by ``sum_{kept} logit_c / (T X Y)``, decide by argmax.
* :func:`accuracy_band`: accuracy over movies with the binomial 5 %-95 % quantile band
  (``binom.ppf(q, n, acc) / n``), as the error bars of the paper's Fig. 5.
* :func:`fit_sigmoid`: ``acc(x) = C + (p - C) / (1 + exp(-(log10 x - h) / s))`` with chance
  ``C`` and dense accuracy ``p`` fixed, fitted for ``h`` (log10 of the half-saturation kept
  fraction) and ``s`` (the width).
"""
from __future__ import annotations

import numpy as np


def movie_decision(logits, drop_frames: int = 21, top_fraction: float = 0.15) -> tuple[int, np.ndarray]:
    """Class decision and per-class scores of one movie's evidence ``(C, T, X, Y)``."""
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 4:
        raise ValueError(f"logits must have shape (C, T, X, Y); got {z.shape}")
    if not 0 <= drop_frames < z.shape[1]:
        raise ValueError(f"drop_frames must be in [0, T={z.shape[1]}); got {drop_frames}")
    if not 0 < top_fraction <= 1:
        raise ValueError(f"top_fraction must be in (0, 1]; got {top_fraction}")
    z = z[:, drop_frames:]
    m = z.max(axis=0)
    keep = m >= np.quantile(m, 1 - top_fraction) if top_fraction < 1 else np.ones(m.shape, dtype=bool)
    scores = (z * keep).sum(axis=(1, 2, 3)) / m.size
    return int(np.argmax(scores)), scores


def accuracy_band(correct, q_low: float = 0.05, q_high: float = 0.95) -> tuple[float, float, float]:
    """``(accuracy, low, high)``: mean of the boolean ``correct`` and its binomial quantiles / n."""
    from scipy.stats import binom

    c = np.asarray(correct, dtype=bool).ravel()
    if c.size == 0:
        raise ValueError("accuracy_band: correct is empty")
    n = c.size
    acc = float(c.mean())
    return acc, float(binom.ppf(q_low, n, acc) / n), float(binom.ppf(q_high, n, acc) / n)


def sigmoid_curve(x, h: float, s: float, chance: float, top: float):
    """``C + (top - C) / (1 + exp(-(log10 x - h) / s))``."""
    return chance + (top - chance) / (1 + np.exp(-(np.log10(np.asarray(x, dtype=np.float64)) - h) / s))


def fit_sigmoid(kept_fraction, accuracy, chance: float, top: float | None = None) -> dict[str, float]:
    """Fit ``h, s`` of :func:`sigmoid_curve` (``top`` defaults to the accuracy at the largest kept
    fraction). Returns ``{"half_saturation": 10**h, "log10_half": h, "width": s, "top": top}``;
    NaN when the curve never rises above chance (nothing to fit)."""
    from scipy.optimize import curve_fit

    x = np.asarray(kept_fraction, dtype=np.float64)
    y = np.asarray(accuracy, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or x.size < 3:
        raise ValueError(f"kept_fraction and accuracy must be 1-D of equal length >= 3; got {x.shape}, {y.shape}")
    if np.any(x <= 0) or np.any(x > 1):
        raise ValueError("kept_fraction values must lie in (0, 1]")
    if top is None:
        top = float(y[np.argmax(x)])
    nan = {"half_saturation": float("nan"), "log10_half": float("nan"), "width": float("nan"), "top": top}
    if top <= chance + 1e-9:
        return nan
    lx = np.log10(x)
    # start: where the curve crosses half way
    half = chance + (top - chance) / 2
    above = np.nonzero(y >= half)[0]
    h0 = float(lx[above].min()) if above.size else float(lx.max())
    try:
        (h, s), _ = curve_fit(lambda xx, h, s: sigmoid_curve(xx, h, s, chance, top), x, y, p0=(h0, 0.2),
                              bounds=([lx.min() - 2, 1e-3], [1.0, 5.0]), maxfev=5000)
    except (RuntimeError, ValueError):
        return nan
    return {"half_saturation": float(10 ** h), "log10_half": float(h), "width": float(s), "top": top}


def prune_levels(n_levels: int = 32, lowest: float = 1e-4) -> np.ndarray:
    """Kept fractions ``geomspace(lowest, 1, n_levels)`` (the code's ``1 - quantile levels``)."""
    if n_levels < 2:
        raise ValueError(f"n_levels must be >= 2; got {n_levels}")
    if not 0 < lowest < 1:
        raise ValueError(f"lowest must be in (0, 1); got {lowest}")
    return np.geomspace(lowest, 1.0, n_levels)


__all__ = ["movie_decision", "accuracy_band", "sigmoid_curve", "fit_sigmoid", "prune_levels"]
