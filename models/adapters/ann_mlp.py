"""Non-spiking comparators: the same continual learners on a ReLU MLP of the spiking MLP's shape.

``ann-baseline`` = sequential fine-tuning, ``ann-gpm`` = GPM (Saha et al., ICLR 2021) on
``spikesim.nn.hlop_mlp.ReLUMLP`` (n_in - h - h - heads, bias-free, ReLU). The training loop,
optimiser and metrics are those of the spiking learners, so the numbers are comparable.
"""
from __future__ import annotations

from spikesim.models.adapters.gpm import GPMLearner
from spikesim.models.continual_learner import FineTune
from spikesim.nn.hlop_mlp import ReLUMLP


def ann_baseline(n_in: int, hidden: int, n_out: int, n_heads: int, **kw) -> FineTune:
    learner = FineTune(ReLUMLP(n_in, hidden, n_out, n_heads), **kw)
    learner.method = "ann-baseline"
    return learner


def ann_gpm(n_in: int, hidden: int, n_out: int, n_heads: int, **gpm_kw) -> GPMLearner:
    learner = GPMLearner(ReLUMLP(n_in, hidden, n_out, n_heads), **gpm_kw)
    learner.method = "ann-gpm"
    return learner
