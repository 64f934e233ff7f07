"""Data of the ``images`` paradigm: the dataset of a config with its normalisation, and padding."""
from __future__ import annotations

import numpy as np

from spikesim.paradigms.base import ConfigError

from .config import ImagesConfig


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


def pad_images(x: np.ndarray, size: int) -> np.ndarray:
    """Zero-pad images [N, C, H, W] (centred) to [N, C, size, size]; events [N, T, C, H, W] too."""
    H, W = x.shape[-2:]
    if H > size or W > size:
        raise ConfigError(f"pad_to={size} is smaller than the images ({H}x{W})")
    top, left = (size - H) // 2, (size - W) // 2
    pad = [(0, 0)] * (x.ndim - 2) + [(top, size - H - top), (left, size - W - left)]
    return np.pad(x, pad)


__all__ = ["load_data", "pad_images"]
