"""The base of the image classifiers (Spikformer V1 / V2 and the ViT comparator): a torch image
model trained by :func:`spikesim.train.images.fit` behind the
:class:`~spikesim.models.protocols.Classifier` calls."""
from __future__ import annotations

import numpy as np
from torch import nn

from spikesim.train.images import Normalizer, fit, predict_logits, resolve_device
from spikesim.train.recipe import TrainRecipe


class TorchImageClassifier:
    """The :class:`~spikesim.models.protocols.Classifier` (``fit``, ``predict``; and ``score``) around
    a torch image model. ``fit(x, y, x_test, y_test, recipe)``: the test split, when given, is
    scored after every epoch (``history``); the recipe defaults to :class:`TrainRecipe`'s.

    Subclasses set ``self.module`` and implement ``measure`` (accuracy plus op counts)."""

    name = "torch"

    def __init__(self, module: nn.Module, device: str = "auto", mean=None, std=None):
        self.device = resolve_device(device)
        self.module = module.to(self.device)
        self.norm = Normalizer(mean, std)
        self.history: dict[str, np.ndarray] = {}

    @property
    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.module.parameters())

    def fit(self, x_train, y_train, x_test=None, y_test=None, recipe: TrainRecipe | None = None,
            progress: bool = False):
        self.history = fit(self.module, x_train, y_train, x_test, y_test, recipe or TrainRecipe(), self.device, self.norm,
                           progress=progress, desc=self.name)
        return self

    def predict(self, x, batch: int = 256) -> np.ndarray:
        return predict_logits(self.module, x, self.device, batch, self.norm).argmax(1).numpy()

    def score(self, x, y, batch: int = 256) -> float:
        return float((self.predict(x, batch) == np.asarray(y)).mean())


__all__ = ["TorchImageClassifier"]
