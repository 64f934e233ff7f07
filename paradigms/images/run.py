"""Running the ``images`` paradigm (see :mod:`spikesim.paradigms.images`): build each model, train
it with the config's recipe, score it on the test split (accuracy, operations, energy, firing
rates, attention maps)."""
from __future__ import annotations

import dataclasses
import time
from typing import Any, Sequence

import numpy as np

from spikesim.paradigms.base import ConfigError

from .config import MODELS, SPIKING, ImagesConfig, recipe, ssl_recipe
from .data import load_data


def build_model(name: str, cfg: ImagesConfig, in_channels: int, num_classes: int, mean, std):
    pools = tuple(c == "1" for c in cfg.pools)
    common = dict(in_channels=in_channels, num_classes=num_classes, mlp_ratio=cfg.mlp_ratio, pools=pools,
                  seed=cfg.seed, device=cfg.device, mean=mean, std=std)
    if name == "spikformer":
        from spikesim.models.spikformer import SpikformerClassifier
        return SpikformerClassifier(cfg.depth, cfg.dim, cfg.heads, cfg.T, scale=cfg.scale,
                                    learn_scale=cfg.learn_scale, **common)
    if name == "vit":
        from spikesim.models.adapters.vit import ViTClassifier
        return ViTClassifier(cfg.depth, cfg.dim, cfg.heads, **common)
    if name in ("spikformer-v2", "spikformer-v2-ssl"):
        from spikesim.models.spikformer_v2 import SpikformerV2Classifier, SpikformerV2SSLClassifier
        v2 = dict(stem=cfg.stem, strides=tuple(int(c) for c in cfg.scs_strides), hidden_ratio=cfg.scs_hidden_ratio,
                  extra_half=cfg.scs_extra_half, extra_full=cfg.scs_extra_full, scale=cfg.scale,
                  learn_scale=cfg.learn_scale, **common)
        if name == "spikformer-v2":
            return SpikformerV2Classifier(cfg.depth, cfg.dim, cfg.heads, cfg.T, **v2)
        return SpikformerV2SSLClassifier(cfg.depth, cfg.dim, cfg.heads, cfg.finetune_T, ssl=ssl_recipe(cfg),
                                         **v2)
    raise ConfigError(f"paradigm 'images' has no model {name!r}; models: {list(MODELS)}")


def run(cfg: ImagesConfig, models: Sequence[str], progress: bool = True):
    """Train and score every model of ``models`` on the same split and recipe."""
    import torch

    from spikesim.core.result import Result, make_meta
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    split, mean, std = load_data(cfg)
    in_channels = split.x_train.shape[-3]
    n_classes = split.n_classes
    metrics: dict[str, Any] = {}
    curves: dict[str, Any] = {}
    rates: dict[str, Any] = {}
    ops: dict[str, Any] = {}
    ssl_curves: dict[str, Any] = {}
    attention: dict[str, Any] = {"image": np.asarray(split.x_test[0], np.float32),
                                 "label": int(split.y_test[0])}
    train_recipe = recipe(cfg)
    device = ""
    for name in models:
        clf = build_model(name, cfg, in_channels, n_classes, mean, std)
        device = str(clf.device)
        t0 = time.perf_counter()
        clf.fit(split.x_train, split.y_train, split.x_test, split.y_test, train_recipe, progress=progress)
        train_s = time.perf_counter() - t0
        meas = clf.measure(split.x_test, split.y_test)
        h = clf.history
        metrics[name] = {
            "accuracy": meas["accuracy"],
            "best_accuracy": float(h["test_accuracy"].max()) if len(h["test_accuracy"]) else meas["accuracy"],
            "sops_per_image": meas["sops_per_image"],
            "macs_per_image": meas["macs_per_image"],
            "energy_mj_per_image": meas["energy_mj_per_image"],
            "mean_firing_rate": meas["mean_firing_rate"],
            "n_parameters": clf.n_parameters,
            "train_seconds": train_s,
            "train_images_per_second": float(np.mean(h["images_per_second"])) if len(h["epoch"]) else 0.0,
            "epochs_run": int(len(h["epoch"])),
        }
        if name == "spikformer-v2-ssl":
            sh = clf.ssl_history
            metrics[name].update(pretrain_seconds=clf.pretrain_seconds, finetune_seconds=clf.finetune_seconds,
                                 ssl_final_loss=float(sh["loss"][-1]) if len(sh["loss"]) else float("nan"))
            ssl_curves[name] = {"epoch": sh["epoch"], "loss": sh["loss"]}
        if name == "spikformer" and cfg.inference == "core":
            n = cfg.core_images or len(split.x_test)
            core = clf.measure_core(split.x_test[:n], split.y_test[:n], dtype=cfg.core_dtype)
            metrics[name].update({f"{k}_torch": metrics[name][k] for k in ("sops_per_image", "energy_mj_per_image")})
            metrics[name].update(sops_per_image=core["sops_per_image"], energy_mj_per_image=core["energy_mj_per_image"],
                                 core_images=n, core_accuracy=core["accuracy"], core_agreement=core["agreement"],
                                 core_synaptic_events_per_image=core["synaptic_events_per_image"],
                                 core_attention_ops_per_image=core["attention_ops_per_image"],
                                 core_pool_events_per_image=core["events_into_or_per_image"],
                                 core_seconds_per_image=core["seconds_per_image"])
        curves[name] = {k: h[k] for k in ("epoch", "test_accuracy", "train_accuracy", "train_loss", "lr")}
        ops[name] = {"layers": np.array(meas["op_layers"], dtype=object), "macs": meas["op_macs"],
                     "sops": meas["op_sops"]}
        if name in SPIKING:
            rates[name] = {"layers": np.array(meas["firing_rate_layers"], dtype=object),
                           "rate": meas["firing_rates"]}
        attention[name] = clf.attention_maps(split.x_test[0])
    if "spikformer" in metrics and "vit" in metrics:
        metrics["accuracy_gap_vit_minus_spikformer"] = metrics["vit"]["accuracy"] - metrics["spikformer"]["accuracy"]
        e_snn = metrics["spikformer"]["energy_mj_per_image"]
        metrics["energy_ratio_vit_over_spikformer"] = (metrics["vit"]["energy_mj_per_image"] / e_snn
                                                      if e_snn > 0 else float("nan"))
    for other in ("spikformer-v2", "spikformer-v2-ssl"):
        if "spikformer" in metrics and other in metrics:
            key = "accuracy_gap_" + other.replace("spikformer-", "").replace("-", "") + "_minus_spikformer"
            metrics[key] = metrics[other]["accuracy"] - metrics["spikformer"]["accuracy"]
    if "spikformer-v2" in metrics and "spikformer-v2-ssl" in metrics:
        metrics["accuracy_gap_v2ssl_minus_v2"] = (metrics["spikformer-v2-ssl"]["accuracy"]
                                                  - metrics["spikformer-v2"]["accuracy"])
    groups = {"accuracy_curve": curves, "ops": ops, "attention": attention}
    if ssl_curves:
        groups["ssl_curve"] = ssl_curves
    if rates:
        groups["firing_rate"] = rates
    meta = make_meta(seed=cfg.seed, backend=f"torch-{device}", torch_version=torch.__version__,
                     dataset=split.name, n_train=int(len(split.x_train)), n_test=int(len(split.x_test)))
    return Result(metrics=metrics, config=dataclasses.asdict(cfg), meta=meta, groups=groups)


def summary_rows(result) -> list[tuple[str, str]]:
    """Accuracy, operations, energy and time per model, then the gaps between models."""
    rows = []
    for model in MODELS:
        m = result.metrics.get(model)
        if not isinstance(m, dict):
            continue
        for key in ("accuracy", "best_accuracy", "sops_per_image", "macs_per_image", "energy_mj_per_image",
                    "sops_per_image_torch", "energy_mj_per_image_torch", "core_agreement",
                    "mean_firing_rate", "n_parameters", "train_seconds", "pretrain_seconds", "ssl_final_loss"):
            if key in m:
                rows.append((f"{model}/{key}", f"{m[key]:.4g}"))
    for key in ("accuracy_gap_vit_minus_spikformer", "energy_ratio_vit_over_spikformer",
                "accuracy_gap_v2_minus_spikformer", "accuracy_gap_v2ssl_minus_spikformer",
                "accuracy_gap_v2ssl_minus_v2"):
        if key in result.metrics:
            rows.append((key, f"{result.metrics[key]:.4g}"))
    return rows


__all__ = ["build_model", "run", "summary_rows"]
