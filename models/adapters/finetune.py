"""Sequential fine-tuning (method ``baseline``, and ``ann-baseline`` on the ReLU MLP): the
continual loop of :class:`spikesim.train.continual.ContinualLearner` with no hook, so nothing
protects the earlier tasks (the HLOP paper's "Baseline")."""
from __future__ import annotations

from spikesim.train.continual import ContinualLearner


class FineTune(ContinualLearner):
    """Sequential fine-tuning, no protection of old tasks (the paper's "Baseline")."""

    method = "baseline"


__all__ = ["FineTune"]
