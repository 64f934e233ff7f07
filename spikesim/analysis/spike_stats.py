"""Spike-train statistics: firing rates, the coefficient of variation of inter-spike intervals,
the Fano factor of spike counts and the correlation of binned spike counts.

Each statistic Elephant also computes is checked against it in ``tests/test_result_nwb_neo.py``
(``elephant.statistics.cv`` of ``isi``, ``fanofactor``, ``spike_train_correlation.
correlation_coefficient`` of a ``BinnedSpikeTrain``): equal to 1e-10 or better. They stay
written out here so that spikesim does not need Elephant to run.

Spike trains are given the way :meth:`spikesim.Result.spikes` returns them: ``(times_ms, ids)``
for a population of ``n`` neurons.
"""
from __future__ import annotations

import numpy as np


def _check(times, ids, n: int) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(times, dtype=np.float64).ravel()
    i = np.asarray(ids).ravel()
    if t.shape != i.shape:
        raise ValueError(f"times and ids must have the same length, got {t.size} and {i.size}")
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n (number of neurons) must be a positive integer, got {n!r}")
    if i.size and (i.min() < 0 or i.max() >= n):
        raise ValueError(f"ids must lie in 0..{n - 1}")
    return t, i.astype(np.int64)


def firing_rates(times, ids, n: int, duration_ms: float) -> np.ndarray:
    """Per-neuron firing rates in Hz over a window of ``duration_ms``: spike count / duration."""
    if not duration_ms > 0:
        raise ValueError(f"duration_ms must be positive, got {duration_ms!r}")
    _, i = _check(times, ids, n)
    return np.bincount(i, minlength=n) / (duration_ms * 1e-3)


def mean_rate(times, ids, n: int, duration_ms: float) -> float:
    """Population mean firing rate in Hz (all spikes / (n * duration))."""
    return float(firing_rates(times, ids, n, duration_ms).mean())


def isi_cv(times, ids, n: int, min_spikes: int = 3) -> np.ndarray:
    """Per-neuron CV of the inter-spike intervals (std / mean, population std with ddof=0).

    Neurons with fewer than ``min_spikes`` spikes (so fewer than ``min_spikes - 1`` intervals)
    get NaN.
    """
    if min_spikes < 2:
        raise ValueError("min_spikes must be at least 2 (one interval)")
    t, i = _check(times, ids, n)
    order = np.lexsort((t, i))
    t, i = t[order], i[order]
    out = np.full(n, np.nan)
    bounds = np.searchsorted(i, np.arange(n + 1))
    for k in range(n):
        tk = t[bounds[k]:bounds[k + 1]]
        if tk.size >= min_spikes:
            isi = np.diff(tk)
            m = isi.mean()
            out[k] = isi.std() / m if m > 0 else np.nan
    return out


def mean_isi_cv(times, ids, n: int, min_spikes: int = 3) -> float:
    """Mean ISI CV over the neurons that have at least ``min_spikes`` spikes (NaN if none)."""
    cv = isi_cv(times, ids, n, min_spikes)
    ok = np.isfinite(cv)
    return float(cv[ok].mean()) if ok.any() else float("nan")


def fano_factor(times, ids, n: int) -> float:
    """Fano factor of the spike counts of the ``n`` trains: var / mean (ddof=0), as Elephant's
    ``fanofactor`` over a list of spike trains (NaN when no neuron spiked)."""
    _, i = _check(times, ids, n)
    counts = np.bincount(i, minlength=n).astype(np.float64)
    m = counts.mean()
    return float(counts.var() / m) if m > 0 else float("nan")


def count_correlation(times, ids, n: int, bin_ms: float, t_start: float, t_stop: float) -> np.ndarray:
    """(n, n) Pearson correlation of the spike counts in bins of ``bin_ms`` over
    [t_start, t_stop) (the last, partial bin dropped), as Elephant's ``correlation_coefficient``
    of a ``BinnedSpikeTrain``; a silent or constant train gets NaN rows."""
    t, i = _check(times, ids, n)
    if not bin_ms > 0 or not t_stop > t_start:
        raise ValueError("need bin_ms > 0 and t_stop > t_start")
    n_bins = int(np.floor((t_stop - t_start) / bin_ms + 1e-9))
    b = np.floor((t - t_start) / bin_ms + 1e-9).astype(np.int64)
    keep = (b >= 0) & (b < n_bins)
    counts = np.zeros((n, n_bins))
    np.add.at(counts, (i[keep], b[keep]), 1.0)
    c = counts - counts.mean(axis=1, keepdims=True)
    norm = np.sqrt((c * c).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (c @ c.T) / np.outer(norm, norm)
