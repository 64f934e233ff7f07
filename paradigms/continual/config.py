"""Config and presets of the ``continual`` paradigm (defaults = the quick preset), its checks
and the method names."""
from __future__ import annotations

from dataclasses import dataclass, field

from spikesim.core.validate import WEIGHT_DTYPES
from spikesim.paradigms.base import ConfigError


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
    subspace_engine: str = "torch"   # HLOP: torch (batched Oja in torch) | core (Oja rule on the event-driven core)
    ewc_lambda: float = 100.0        # chosen by ACC on the quick config among 10, 100, 1000
    fisher_samples: int = 200        # EWC: samples of a finished task for its Fisher information
    gpm_thresholds: list[float] = field(default_factory=lambda: [0.95, 0.99, 0.99])  # GPM: energy kept per layer
    gpm_samples: int = 300           # GPM: samples of a finished task for its SVD
    seed: int = 2022                 # data split, permutations, initial weights
    threads: int = 1                 # torch CPU threads
    nir_dt: float = 0.0              # step (s) for --model nir:PATH (0: the graph's spikesim.dt_s, else 1 ms)
    inference: str = "torch"         # after the last task, spiking methods also infer on: torch (only) | core
                                     # (the DSR network lowered to the event-driven core; core_* metrics)
    core_samples: int = 0            # inference=core: the first n test samples of each task (0: all)
    core_dtype: str = "float64"      # inference=core: the core's weights and ring: float64 | float32


METHODS = ("hlop", "baseline", "ewc", "gpm", "multitask", "ann-gpm", "ann-baseline")

PRESETS = {
    "quick": {},
    "mnist5k": dict(dataset="mnist5k", n_tasks=10, hidden=800, T=6, epochs=2, hebb_iterations=30),
    "full": dict(dataset="mnist", n_tasks=10, hidden=800, T=20, epochs=1, hebb_iterations=5),
}


def validate(cfg: ContinualConfig) -> None:
    """Raise :class:`ConfigError` for values the run cannot use."""
    checks = [
        ("dataset", cfg.dataset in ("digits", "mnist5k", "mnist", "cifar100")),
        ("scenario", cfg.scenario in ("permuted", "split")),
        ("training", cfg.training in ("dsr", "bptt")),
        ("subspace_engine", cfg.subspace_engine in ("torch", "core")),
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
        ("inference", cfg.inference in ("torch", "core")), ("core_samples", cfg.core_samples >= 0),
        ("core_dtype", cfg.core_dtype in WEIGHT_DTYPES),
        ("gpm_thresholds", len(cfg.gpm_thresholds) == 3 and all(0 < v <= 1 for v in cfg.gpm_thresholds)),
    ]
    for name, ok in checks:
        if not ok:
            raise ConfigError(f"continual: invalid value {name}={getattr(cfg, name)!r}")
    if cfg.dataset in ("mnist", "cifar100") and not cfg.data_dir:
        raise ConfigError(f"continual: dataset={cfg.dataset} needs --set data_dir=FOLDER with its local files")
    if cfg.inference == "core" and cfg.training != "dsr":
        raise ConfigError("continual: inference=core runs the DSR-trained network (training=dsr); a BPTT network "
                          "runs in the core as a NIR graph (spikesim.models.hlop_nir.mlp_to_nir, --model nir:PATH)")
    if cfg.scenario == "permuted" and cfg.n_tasks > 50:
        raise ConfigError(f"continual: n_tasks={cfg.n_tasks} is too many (at most 50)")


__all__ = ["ContinualConfig", "METHODS", "PRESETS", "validate"]
