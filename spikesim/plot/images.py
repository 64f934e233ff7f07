"""Figures of the ``images`` paradigm (Spikformer vs ViT): accuracy curves, firing rate per
layer, attention maps, energy bars. Each function takes a loaded :class:`spikesim.Result` and
returns a matplotlib Figure; :func:`all_figures` writes the PNGs. Never calls ``plt.show``."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402

from spikesim.plot.common import save_figure  # noqa: E402

COLORS = {"spikformer": "tab:red", "vit": "tab:blue"}
LABELS = {"spikformer": "Spikformer (SNN)", "vit": "ViT (ANN)"}


def _models(result, group: str) -> list[str]:
    return [m for m in ("spikformer", "vit") if m in result.groups.get(group, {})]


def accuracy_curves(result):
    fig, ax = plt.subplots(figsize=(5, 3.5))
    curves = result.groups.get("accuracy_curve", {})
    for m in _models(result, "accuracy_curve"):
        c = curves[m]
        ax.plot(c["epoch"], 100 * np.asarray(c["test_accuracy"]), "o-", color=COLORS[m], label=f"{LABELS[m]} test")
        ax.plot(c["epoch"], 100 * np.asarray(c["train_accuracy"]), "--", color=COLORS[m], alpha=0.6,
                label=f"{LABELS[m]} train")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_ylabel("accuracy (%)")
    ax.set_title("Accuracy: spiking vs ANN")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _short(name: str) -> str:
    return (name.replace("blocks.", "b").replace("sps.lifs.", "sps").replace(".attn.", ".").replace(".mlp.", ".")
            .replace("_lif", "").replace("sps.rpe", "rpe"))


def firing_rates(result):
    fr = result.groups.get("firing_rate", {}).get("spikformer")
    fig, ax = plt.subplots(figsize=(7, 3.5))
    if fr is None:
        ax.text(0.5, 0.5, "no spiking model in this run", ha="center", va="center")
        return fig
    names = [_short(str(n)) for n in np.asarray(fr["layers"]).tolist()]
    rate = np.asarray(fr["rate"])
    ax.bar(np.arange(len(rate)), rate, color=COLORS["spikformer"])
    ax.set_xticks(np.arange(len(rate)), names, rotation=70, fontsize=7)
    ax.set_ylabel("spikes / neuron / step")
    mean = result.metrics.get("spikformer", {}).get("mean_firing_rate", float("nan"))
    ax.set_title(f"Spikformer firing rate per layer (mean {mean:.3f})")
    fig.tight_layout()
    return fig


def attention_map(result):
    att = result.groups.get("attention", {})
    models = [m for m in ("spikformer", "vit") if m in att]
    fig, axes = plt.subplots(1, 1 + len(models), figsize=(3.2 * (1 + len(models)), 3.2))
    axes = np.atleast_1d(axes)
    img = np.asarray(att.get("image", np.zeros((1, 8, 8))))
    axes[0].imshow(img.transpose(1, 2, 0) if img.shape[0] == 3 else img[0], cmap=None if img.shape[0] == 3 else "gray")
    axes[0].set_title(f"test image (label {att.get('label', '?')})")
    axes[0].axis("off")
    for ax, m in zip(axes[1:], models):
        a = np.asarray(att[m])[0]
        im = ax.imshow(a, cmap="viridis")
        ax.set_title("SSA  Q K$^T$ (block 1)" if m == "spikformer" else "softmax attention (block 1)", fontsize=9)
        ax.set_xlabel("key token")
        ax.set_ylabel("query token")
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def energy_bars(result):
    models = [m for m in ("spikformer", "vit") if isinstance(result.metrics.get(m), dict)]
    fig, axes = plt.subplots(1, 2, figsize=(7, 3.2))
    x = np.arange(len(models))
    e = [1e3 * result.metrics[m]["energy_mj_per_image"] for m in models]
    axes[0].bar(x, e, color=[COLORS[m] for m in models])
    axes[0].set_xticks(x, [LABELS[m] for m in models], fontsize=8)
    axes[0].set_ylabel("energy per image (uJ)")
    axes[0].set_title("Estimated energy (4.6 pJ/MAC, 0.9 pJ/SOP)", fontsize=9)
    macs = [result.metrics[m]["macs_per_image"] / 1e6 for m in models]
    sops = [result.metrics[m]["sops_per_image"] / 1e6 for m in models]
    axes[1].bar(x - 0.2, macs, 0.4, label="MACs", color="gray")
    axes[1].bar(x + 0.2, sops, 0.4, label="SOPs", color="tab:orange")
    axes[1].set_xticks(x, [LABELS[m] for m in models], fontsize=8)
    axes[1].set_ylabel("operations per image (M)")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def all_figures(result, out_dir) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, fn in (("images_accuracy_curves", accuracy_curves), ("images_firing_rates", firing_rates),
                     ("images_attention_map", attention_map), ("images_energy", energy_bars)):
        fig = fn(result)
        paths.append(save_figure(fig, out / f"{name}.png"))
    return paths
