"""Counter-based random streams shared by all backends."""
from .counter import counter_uniform, splitmix64, uniform_array

__all__ = ["counter_uniform", "splitmix64", "uniform_array"]
