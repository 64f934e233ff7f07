"""Config and presets of the ``images`` paradigm (defaults = the quick preset), its checks, and
the training recipes it hands to the models (:mod:`spikesim.train.recipe`)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from spikesim.core.validate import WEIGHT_DTYPES
from spikesim.paradigms.base import ConfigError
from spikesim.train.recipe import SSLRecipe, TrainRecipe

DATASETS = ("mnist5k", "digits", "mnist", "cifar10", "cifar100", "imagefolder", "events", "tonic")
MODELS = ("spikformer", "vit", "spikformer-v2", "spikformer-v2-ssl")
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
    inference: str = "torch"          # spikformer's test-set SOPs/energy: torch (per-layer rates x MACs) | core
                                      # (counted by the network lowered to the core; ~0.5 s per image on a CPU)
    core_images: int = 0              # inference=core: the first n test images run on the core (0: all)
    core_dtype: str = "float64"       # inference=core: the core's weights and ring: float64 | float32
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


PRESETS = {
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


def validate(cfg: ImagesConfig) -> None:
    """Raise :class:`ConfigError` for values the run cannot use."""
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
    if cfg.inference not in ("torch", "core"):
        raise ConfigError(f"inference must be 'torch' or 'core', got {cfg.inference!r}")
    if cfg.core_dtype not in WEIGHT_DTYPES:
        raise ConfigError(f"core_dtype must be one of {WEIGHT_DTYPES}, got {cfg.core_dtype!r}")
    for name in ("n_train", "n_test", "max_steps", "threads", "pad_to", "ssl_max_steps", "core_images"):
        if getattr(cfg, name) < 0:
            raise ConfigError(f"{name} must be >= 0, got {getattr(cfg, name)}")
    if not cfg.lr > 0 or cfg.scale <= 0:
        raise ConfigError("lr and scale must be > 0")


def recipe(cfg: ImagesConfig) -> TrainRecipe:
    """The supervised training recipe: the config's TrainRecipe fields."""
    return TrainRecipe(**{f.name: getattr(cfg, f.name) for f in dataclasses.fields(TrainRecipe)})


def ssl_recipe(cfg: ImagesConfig) -> SSLRecipe:
    """The masked pre-training recipe of ``spikformer-v2-ssl`` from the ``ssl_*`` fields."""
    return SSLRecipe(epochs=cfg.ssl_epochs, batch_size=cfg.ssl_batch_size, lr=cfg.ssl_lr,
                     weight_decay=cfg.ssl_weight_decay, warmup_fraction=cfg.ssl_warmup_fraction,
                     mask_ratio=cfg.ssl_mask_ratio, T=cfg.ssl_T, decoder_dim=cfg.ssl_decoder_dim,
                     decoder_depth=cfg.ssl_decoder_depth, decoder_heads=cfg.ssl_decoder_heads,
                     max_steps=cfg.ssl_max_steps, amp=cfg.amp, seed=cfg.seed)


__all__ = ["ImagesConfig", "PRESETS", "DATASETS", "MODELS", "SPIKING", "validate", "recipe", "ssl_recipe"]
