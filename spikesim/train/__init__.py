"""Training recipes (plain dataclasses, no torch at import): what the paradigms' configs share
with the training loops."""
from .recipe import TrainRecipe

__all__ = ["TrainRecipe"]
