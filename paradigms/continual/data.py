"""Task sequences of the ``continual`` paradigm: the permuted and split scenarios built from the
built-in or local datasets, flattened and normalised (never downloaded)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikesim.paradigms.base import ConfigError

from .config import ContinualConfig

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
CIFAR100_MEAN = np.array([125.3, 123.0, 113.9]) / 255
CIFAR100_STD = np.array([63.0, 62.1, 66.7]) / 255


@dataclass
class TaskData:
    x_train: list
    y_train: list
    x_test: list
    y_test: list
    n_in: int
    n_out: int
    n_heads: int


def build_tasks(cfg: ContinualConfig) -> TaskData:
    """The task sequence of ``cfg``: flattened, normalised images per task."""
    from spikesim.io import datasets

    if cfg.dataset == "digits":
        split = datasets.sklearn_digits(seed=cfg.seed)
    elif cfg.dataset == "mnist5k":
        split = datasets.mnist5k(seed=cfg.seed)
    elif cfg.dataset in ("mnist", "cifar100"):
        if not cfg.data_dir:
            raise ConfigError(f"dataset={cfg.dataset} needs --set data_dir=FOLDER with its local files")
        if cfg.dataset == "mnist":
            split = datasets.mnist_idx(cfg.data_dir)
        else:
            from spikesim.io.cifar import cifar100
            split = cifar100(cfg.data_dir)
    else:
        raise ConfigError(f"unknown dataset {cfg.dataset!r}; use digits, mnist5k, mnist or cifar100")
    if cfg.dataset == "cifar100":
        mean, std = CIFAR100_MEAN[None, :, None, None], CIFAR100_STD[None, :, None, None]
    else:
        mean, std = MNIST_MEAN, MNIST_STD
    xtr = ((split.x_train - mean) / std).reshape(len(split.x_train), -1)
    xte = ((split.x_test - mean) / std).reshape(len(split.x_test), -1)
    ytr, yte = split.y_train, split.y_test
    n_in, n_classes = xtr.shape[1], split.n_classes
    rng = np.random.default_rng(cfg.seed)
    out = TaskData([], [], [], [], n_in, n_classes, 1)
    if cfg.scenario == "permuted":
        for t in range(cfg.n_tasks):
            perm = rng.permutation(n_in)
            sel = _cap(len(xtr), cfg.n_train, rng)
            out.x_train.append(xtr[sel][:, perm].astype(np.float32))
            out.y_train.append(ytr[sel])
            out.x_test.append(xte[:, perm].astype(np.float32))
            out.y_test.append(yte)
    elif cfg.scenario == "split":
        if cfg.n_tasks * cfg.classes_per_task > n_classes:
            raise ConfigError(f"split: n_tasks * classes_per_task = {cfg.n_tasks * cfg.classes_per_task} "
                              f"exceeds the {n_classes} classes of {cfg.dataset}")
        out.n_out, out.n_heads = cfg.classes_per_task, cfg.n_tasks
        for t in range(cfg.n_tasks):
            classes = np.arange(t * cfg.classes_per_task, (t + 1) * cfg.classes_per_task)
            mtr, mte = np.isin(ytr, classes), np.isin(yte, classes)
            sel = np.flatnonzero(mtr)[_cap(int(mtr.sum()), cfg.n_train, rng)]
            out.x_train.append(xtr[sel].astype(np.float32))
            out.y_train.append(ytr[sel] - classes[0])
            out.x_test.append(xte[mte].astype(np.float32))
            out.y_test.append(yte[mte] - classes[0])
    else:
        raise ConfigError(f"unknown scenario {cfg.scenario!r}; use permuted or split")
    return out


def _cap(n: int, cap: int, rng) -> np.ndarray:
    return np.sort(rng.permutation(n)[:cap]) if 0 < cap < n else np.arange(n)


__all__ = ["TaskData", "build_tasks"]
