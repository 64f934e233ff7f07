"""Metrics of the what-when paradigm (Yamada & Chao 2025, arXiv:2510.14382).

* amplitude of channel k: mean output y_k over t_k +- w in a cue-only test; Pearson r between
  amplitude and p(A) over the probability levels (``scipy.stats.pearsonr``)
* test error: RMSE between the test output y(t) and the target p(k) g(t - t_k), over both
  channels and the post-cue time window
* peak-time error: |argmax_t y_k(t) - t_k| in ms, for channels with p(k) >= ``min_p``
* recovery after a switch: E_ref = plateau error at the end of the first block (mean of its last
  ``ref_points`` test points), E_0 = error at the first test after the switch; recovered a
  fraction f at the first test trial (counted from the switch) where the running mean over
  ``smooth`` test points is <= E_ref + (1 - f)(E_0 - E_ref); censored at the block length
* principal angles between span(what weights) and span(when weights)
  (``scipy.linalg.subspace_angles``), beside a baseline of the same vectors with their entries
  shuffled (same marginal statistics, no structure)
* PCA of the readout weights across conditions, per seed (``sklearn.decomposition.PCA``); the when and what
  blocks are each scaled to unit mean norm so neither dominates; |r| of PC1 with p(A) and of PC2
  with latency.
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy.linalg import subspace_angles
from scipy.stats import pearsonr


def rmse(y: np.ndarray, target: np.ndarray, sl: slice = slice(None)) -> float:
    """Root-mean-square difference over time steps ``sl`` and all channels."""
    y, target = np.asarray(y), np.asarray(target)
    if y.shape != target.shape:
        raise ValueError(f"y {y.shape} and target {target.shape} must have the same shape")
    return float(np.sqrt(np.mean((y[sl] - target[sl]) ** 2)))


def amplitudes(y, t_ms, t_events_ms, window_ms) -> np.ndarray:
    """(K,) mean of y[:, k] over |t - t_events_ms[k]| <= window_ms."""
    y = np.asarray(y)
    out = np.empty(y.shape[1])
    for k in range(y.shape[1]):
        sel = np.abs(np.asarray(t_ms) - t_events_ms[k]) <= window_ms
        if not sel.any():
            raise ValueError(f"no time step within {window_ms} ms of event time {t_events_ms[k]}")
        out[k] = y[sel, k].mean()
    return out


def peak_time_errors(y, t_ms, t_events_ms, p, min_p=0.2, after_ms=None) -> np.ndarray:
    """(K,) |argmax_t y_k - t_k| (ms) for channels with p[k] >= min_p, else NaN. Only times
    after ``after_ms`` (default: the earliest event minus 3 x 100 ms, i.e. post-cue) count."""
    y = np.asarray(y)
    t_ms = np.asarray(t_ms)
    start = (min(t_events_ms) - 300.0) if after_ms is None else after_ms
    sel = t_ms >= start
    out = np.full(y.shape[1], np.nan)
    for k in range(y.shape[1]):
        if p[k] >= min_p:
            out[k] = abs(t_ms[sel][np.argmax(y[sel, k])] - t_events_ms[k])
    return out


def correlation(x, y) -> float:
    """Pearson r (NaN if either input is constant)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(pearsonr(x, y)[0])


def what_when_angles(what: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Principal angles (deg, descending) between span of the rows of ``what`` and of ``when``;
    NaN where either set of rows is rank-deficient (e.g. an untrained channel)."""
    what, when = np.atleast_2d(what), np.atleast_2d(when)
    k = min(what.shape[0], when.shape[0])
    if np.linalg.matrix_rank(what) < what.shape[0] or np.linalg.matrix_rank(when) < when.shape[0]:
        return np.full(k, np.nan)
    return np.degrees(subspace_angles(what.T, when.T))


def shuffled_angles(what, when, rng, n_shuffles: int = 50) -> np.ndarray:
    """(n_shuffles, K) principal angles after shuffling the entries of every weight vector."""
    out = []
    for _ in range(n_shuffles):
        a = np.array([rng.permutation(row) for row in np.atleast_2d(what)])
        b = np.array([rng.permutation(row) for row in np.atleast_2d(when)])
        out.append(what_when_angles(a, b))
    return np.array(out)


def flatten_weights(wts: dict) -> np.ndarray:
    """Concatenate the when and what weights of one condition (when first)."""
    return np.concatenate([np.ravel(wts["when"]), np.ravel(wts["what"])])


def condition_pca(weights: np.ndarray, n_when: int, n_components: int = 2) -> np.ndarray:
    """(conditions, n_components) PCA scores; the when block (first ``n_when`` columns) and the
    what block are each scaled to unit mean row norm first."""
    from sklearn.decomposition import PCA
    w = np.array(weights, dtype=float)
    for sl in (slice(0, n_when), slice(n_when, None)):
        norm = np.mean(np.linalg.norm(w[:, sl], axis=1))
        if norm > 0:
            w[:, sl] /= norm
    n_comp = min(n_components, w.shape[0], w.shape[1])
    return PCA(n_components=n_comp).fit_transform(w)


def recovery_trials(trials, errors, block_starts, block_len, fraction, smooth=3, ref_points=3):
    """Trials after each switch (block 2 on) until ``fraction`` of the jump is recovered; see the
    module docstring. Returns (n_switches,) floats (block_len where never reached)."""
    trials, errors = np.asarray(trials), np.asarray(errors, float)
    if len(block_starts) < 2:
        return np.array([])
    first = trials < block_starts[1]
    e_ref = float(np.mean(errors[first][-ref_points:]))
    out = []
    for b in range(1, len(block_starts)):
        start = block_starts[b]
        end = block_starts[b + 1] if b + 1 < len(block_starts) else np.inf
        sel = (trials >= start) & (trials < end)
        tr, er = trials[sel], errors[sel]
        if tr.size == 0:
            out.append(np.nan)
            continue
        e0 = er[0]
        thresh = e_ref + (1.0 - fraction) * (e0 - e_ref)
        sm = np.convolve(er, np.ones(smooth) / smooth, mode="full")[:len(er)]
        sm[:smooth - 1] = [er[:i + 1].mean() for i in range(min(smooth - 1, len(er)))]
        hit = np.flatnonzero(sm <= thresh) if e0 > e_ref else np.array([0])
        out.append(float(tr[hit[0]] - start + 1) if hit.size else float(block_len))
    return np.array(out)


def summarise(*, levels, amplitudes, errors, test_trials, peak_errors, switch_trials, switch_errors,
              block_starts, angles, random_angles, pca_weights, pca_p, pca_latency, n_seeds):
    """All metrics of one model. amplitudes (seeds, levels, 2); errors (seeds, levels, tests);
    peak_errors (seeds, levels, 2); switch_errors (seeds, tests); angles (seeds, 2);
    random_angles (seeds, shuffles, 2); pca_weights (seeds, conditions, dims) with pca_p and
    pca_latency (seeds, conditions): the PCA is done per seed and the |r| averaged; the scores
    returned are the first seed's."""
    amp_mean = amplitudes.mean(axis=0)
    m = {"r_A": correlation(levels, amp_mean[:, 0]), "r_B": correlation(levels, amp_mean[:, 1]),
         "r_A_seed_mean": float(np.nanmean([correlation(levels, a[:, 0]) for a in amplitudes])),
         "r_B_seed_mean": float(np.nanmean([correlation(levels, a[:, 1]) for a in amplitudes])),
         "n_seeds": int(n_seeds)}
    curve = errors.mean(axis=(0, 1))
    for t, e in zip(test_trials, curve):
        m[f"error_trial_{int(t)}"] = float(e)
    m["error_curve"] = curve
    m["error_curve_trials"] = np.asarray(test_trials)
    m["error_curve_sd_over_seeds"] = errors.mean(axis=1).std(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m["peak_time_error_ms"] = float(np.nanmean(peak_errors)) if np.isfinite(peak_errors).any() else float("nan")
    mean_curve = switch_errors.mean(axis=0)
    block_len = int(block_starts[1] - block_starts[0]) if len(block_starts) > 1 else 0
    rec50 = recovery_trials(switch_trials, mean_curve, block_starts, block_len, 0.5)
    rec90 = recovery_trials(switch_trials, mean_curve, block_starts, block_len, 0.9)
    m["recovery50_trials"] = float(np.mean(rec50)) if rec50.size else float("nan")
    m["recovery90_trials"] = float(np.mean(rec90)) if rec90.size else float("nan")
    m["recovery90_per_switch"] = rec90
    m["switch_error_final"] = float(mean_curve[-1])
    if angles is not None and len(angles):
        m["angle_what_when_deg"] = float(np.mean(angles))
        m["angle_what_when_min_deg"] = float(np.mean(np.min(angles, axis=1)))
        m["angle_random_deg"] = float(np.mean(random_angles))
        m["angle_random_sd_deg"] = float(np.std(random_angles.mean(axis=-1)))
    else:
        for k in ("angle_what_when_deg", "angle_what_when_min_deg", "angle_random_deg", "angle_random_sd_deg"):
            m[k] = float("nan")
    # condition PCA per seed (each seed has its own reservoir, so its own weight space)
    corr = {"pca_pc1_corr_p": [], "pca_pc2_corr_latency": [], "pca_pc1_corr_latency": [], "pca_pc2_corr_p": []}
    first_scores = None
    for w_s, p_s, lat_s in zip(pca_weights, pca_p, pca_latency):
        w_s, p_s, lat_s = np.asarray(w_s), np.asarray(p_s), np.asarray(lat_s)
        scores = condition_pca(w_s, w_s.shape[1] // 2)
        first_scores = scores if first_scores is None else first_scores
        pc = [scores[:, i] if scores.shape[1] > i else np.zeros(len(p_s)) for i in range(2)]
        corr["pca_pc1_corr_p"].append(abs(correlation(pc[0], p_s)))
        corr["pca_pc2_corr_latency"].append(abs(correlation(pc[1], lat_s)))
        corr["pca_pc1_corr_latency"].append(abs(correlation(pc[0], lat_s)))
        corr["pca_pc2_corr_p"].append(abs(correlation(pc[1], p_s)))
    for k, v in corr.items():
        m[k] = float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")
    scores = first_scores
    return {"metrics": m, "recovery50": rec50, "recovery90": rec90, "pca_scores": scores}
