"""Running the ``continual`` paradigm (see :mod:`spikesim.paradigms.continual`): each method
learns the task sequence one task after another and is scored on every task seen so far."""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np

from spikesim.paradigms.base import ConfigError

from .config import METHODS, ContinualConfig
from .data import TaskData, build_tasks
from .on_core import SPIKING, score_on_core


def make_learner(method: str, cfg: ContinualConfig, data: TaskData, progress=None):
    """The learner of ``method`` on a fresh network (seeded from ``cfg.seed``)."""
    import torch

    from spikesim.models.adapters.ann_mlp import ann_baseline, ann_gpm
    from spikesim.models.adapters.ewc import EWCLearner
    from spikesim.models.adapters.finetune import FineTune
    from spikesim.models.adapters.gpm import GPMLearner
    from spikesim.models.adapters.multitask import MultitaskLearner
    from spikesim.models.hlop import HLOPLearner
    from spikesim.models.hlop_mlp import SpikingMLP

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
                           k_inc=cfg.k_inc, k_dec=cfg.k_dec, dec_every=cfg.k_dec_every, k_scale=cfg.k_scale,
                           subspace_engine=cfg.subspace_engine, **kw)
    if method == "baseline":
        return FineTune(net, **kw)
    if method == "ewc":
        return EWCLearner(net, ewc_lambda=cfg.ewc_lambda, fisher_samples=cfg.fisher_samples, **kw)
    if method == "gpm":
        return GPMLearner(net, **gpm_kw, **kw)
    if method == "multitask":
        return MultitaskLearner(net, n_tasks=cfg.n_tasks, **kw)
    raise ConfigError(f"unknown method {method!r}; methods: {', '.join(METHODS)}")


def run_method(method: str, cfg: ContinualConfig, data: TaskData, progress=None) -> tuple[np.ndarray, dict]:
    """Train ``method`` on the task sequence; returns (R, extra metrics)."""
    from spikesim.analysis.continual import new_accuracy_matrix

    learner = make_learner(method, cfg, data, progress)
    n = cfg.n_tasks

    def score(i: int) -> float:
        return float(np.mean(learner.predict(i, data.x_test[i]) == np.asarray(data.y_test[i])))

    extra: dict = {}
    R = new_accuracy_matrix(n)
    for t in range(n):                           # the OnlineLearner protocol: task after task
        learner.learn(t, data.x_train[t], data.y_train[t])
        if method != "multitask":                # (multitask learns jointly after the last task)
            for i in range(t + 1):
                R[t, i] = score(i)
    if cfg.inference == "core" and method in SPIKING:
        extra.update(score_on_core(learner, data, cfg.core_samples, dtype=cfg.core_dtype))
    if method == "multitask":                    # one row: every task after joint training
        return np.array([[score(i) for i in range(n)]]), extra
    if method == "hlop":
        extra["subspace_neurons"] = np.array(learner.k_history, dtype=np.int64)
    if method.startswith("nir:"):
        extra["synaptic_events_per_sample"] = learner.synaptic_events / max(learner.samples, 1)
    if method in ("gpm", "ann-gpm"):
        extra["basis_sizes"] = np.array(learner.basis_sizes, dtype=np.int64)
    return R, extra


def run(cfg: ContinualConfig, models, progress: bool = True):
    """Train every method of ``models`` on the task sequence; ACC, BWT and the accuracy matrices."""
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


def summary_rows(result) -> list[tuple[str, str]]:
    """One row per method: ACC, BWT and the time it took (a second row with inference=core)."""
    rows = []
    for method, m in result.metrics.items():
        bwt = f"{100 * m['BWT']:+.2f}" if "BWT" in m else "-"
        cpu = f", {m['cpu_seconds']:.0f} s CPU" if "cpu_seconds" in m else ""
        rows.append((method, f"ACC {100 * m['ACC']:.2f} %   BWT {bwt} %   ({m['wall_seconds']:.0f} s{cpu})"))
        if "core_accuracy" in m:
            rows.append((f"{method} on the core", f"accuracy {100 * m['core_accuracy']:.2f} % (torch "
                         f"{100 * m['core_torch_accuracy']:.2f} % on the same {m['core_samples_total']} samples), "
                         f"agreement {100 * m['core_agreement']:.2f} %, "
                         f"{m['core_synaptic_events_per_sample']:.0f} synaptic events/sample"))
    return rows


__all__ = ["make_learner", "run_method", "run", "summary_rows"]
