"""Training recipes and loops: the recipes (plain dataclasses, no torch at import) that the
paradigms' configs share with the loops, and the loops themselves in their own modules."""
from .recipe import SSLRecipe, TrainRecipe

__all__ = ["SSLRecipe", "TrainRecipe"]
