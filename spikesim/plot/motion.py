"""Figures of the motion paradigm (Grimaldi & Perrinet 2023): accuracy with binomial band per
model, pruning and shortening curves with their sigmoid fits, learned kernels per class as
delay x space images, and an event raster. Matplotlib with the Agg backend; every function
writes a PNG and returns its path."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from spikesim.plot.common import save_figure  # noqa: E402

from spikesim.analysis.motion import sigmoid_curve  # noqa: E402


def plot_accuracy(acc: dict[str, tuple[float, float, float]], chance: float, path) -> Path:
    """Bar per model: accuracy with the binomial 5-95 % band; chance as a dashed line."""
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    names = list(acc)
    vals = np.array([acc[n][0] for n in names])
    err = np.array([[acc[n][0] - acc[n][1], acc[n][2] - acc[n][0]] for n in names]).T
    ax.bar(range(len(names)), vals, yerr=err, capsize=4, color="C0")
    ax.axhline(chance, ls="--", color="k", lw=1, label=f"chance 1/{round(1 / chance)}")
    ax.set_xticks(range(len(names)), names)
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy (5-95 % band)")
    ax.legend(loc="upper right", fontsize=8)
    return save_figure(fig, path)


def plot_curve(curves: dict[str, np.ndarray], fits: dict[str, dict], chance: float, path, title: str,
               xlabel: str = "kept fraction of weights") -> Path:
    """Accuracy vs kept fraction (log x) for each model, with the fitted sigmoid."""
    fig, ax = plt.subplots(figsize=(5, 3.4))
    for k, (name, rows) in enumerate(curves.items()):
        rows = np.asarray(rows)
        ax.semilogx(rows[:, 0], rows[:, 1], "o", color=f"C{k}", ms=4, label=name)
        fit = fits.get(name, {})
        if np.isfinite(fit.get("log10_half", np.nan)):
            xs = np.geomspace(rows[:, 0].min(), 1, 200)
            ax.semilogx(xs, sigmoid_curve(xs, fit["log10_half"], fit["width"], chance, fit["top"]), "-",
                        color=f"C{k}", lw=1)
            ax.axvline(fit["half_saturation"], color=f"C{k}", ls=":", lw=1)
    ax.axhline(chance, ls="--", color="k", lw=1)
    ax.set_ylim(0, 1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("accuracy")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def plot_kernels(kernels: np.ndarray, phi: np.ndarray, speed: np.ndarray, path, classes=None,
                 polarity: int = 1) -> Path:
    """Learned kernels as delay x space images: for each class, the weights of one polarity
    (ON by default) averaged across the motion axis (rows: delay 0 at the top, columns: position
    along the direction of motion), so a tilted ridge is a speed."""
    k = np.asarray(kernels)
    c, _, kt, kx, ky = k.shape
    classes = list(range(c)) if classes is None else list(classes)
    ncol = min(12, len(classes))
    nrow = int(np.ceil(len(classes) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(1.1 * ncol, 1.3 * nrow), squeeze=False)
    xi = np.arange(kx) - kx // 2
    yj = np.arange(ky) - ky // 2
    bins = np.arange(-(max(kx, ky) // 2) - 0.5, max(kx, ky) // 2 + 1)
    imgs = []
    for cls in classes:
        w = k[cls, polarity]  # (kt, kx, ky)
        pos = np.cos(phi[cls]) * xi[:, None] + np.sin(phi[cls]) * yj[None, :]
        count = np.maximum(np.histogram(pos.ravel(), bins)[0], 1)
        imgs.append(np.stack([np.histogram(pos.ravel(), bins, weights=w[d].ravel())[0] / count for d in range(kt)]))
    body = np.abs(np.stack(imgs)[:, :-1])  # colour scale without delay 0 (the large initial centre tap)
    vmax = float(np.percentile(body, 99)) if body.size else 1.0
    vmax = vmax or 1.0
    for n, (cls, img) in enumerate(zip(classes, imgs)):
        ax = axes[n // ncol, n % ncol]
        ax.imshow(img[::-1], cmap="RdBu_r", vmin=-vmax, vmax=vmax, aspect="auto",
                  extent=(bins[0], bins[-1], kt - 0.5, -0.5))
        ax.set_title(f"{np.degrees(phi[cls]):.0f}°, {speed[cls]:.2f}", fontsize=6)
        ax.set_xticks([])
        ax.set_yticks([])
    for n in range(len(classes), nrow * ncol):
        axes[n // ncol, n % ncol].axis("off")
    axes[0, 0].set_ylabel("delay (ms)", fontsize=7)
    name = "ON" if polarity == 1 else "OFF"
    fig.suptitle(f"{name} weights: delay (rows, 0 on top) x position along the motion (mean across it)", fontsize=8)
    return save_figure(fig, path)


def plot_event_raster(events: np.ndarray, path, max_events: int = 20000) -> Path:
    """Raster of one ``(2, T, X, Y)`` event tensor: time vs pixel index, ON red, OFF blue."""
    a = np.asarray(events)
    fig, ax = plt.subplots(figsize=(6, 3))
    for ch, color, label in ((1, "tab:red", "ON"), (0, "tab:blue", "OFF")):
        t, x, y = np.nonzero(a[ch])
        idx = x * a.shape[3] + y
        if len(t) > max_events:
            sel = np.linspace(0, len(t) - 1, max_events).astype(int)
            t, idx = t[sel], idx[sel]
        ax.plot(t, idx, ".", ms=0.6, color=color, label=label, alpha=0.6)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("pixel (row x cols + col)")
    ax.legend(loc="upper right", fontsize=8, markerscale=10)
    return save_figure(fig, path)


def plot_scan(values: np.ndarray, accs: dict[str, np.ndarray], chance: float, path, xlabel: str) -> Path:
    """Motion Clouds scan: accuracy vs one parameter, one line per condition."""
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    for cond, acc in accs.items():
        ax.semilogx(values, acc, "o-", label=cond)
    ax.axhline(chance, ls="--", color="k", lw=1)
    ax.set_ylim(0, 1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("accuracy")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


__all__ = ["plot_accuracy", "plot_curve", "plot_kernels", "plot_event_raster", "plot_scan"]
