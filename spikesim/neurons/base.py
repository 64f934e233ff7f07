"""Common structure of a neuron population: size, per-neuron parameters, state variables."""
from __future__ import annotations

from typing import Mapping

import numpy as np


def per_neuron(name: str, value, n: int) -> np.ndarray:
    """Broadcast a scalar or (n,) parameter to a float64 (n,) array; clear error otherwise."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValueError(f"parameter {name!r} must be a scalar or have shape ({n},), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"parameter {name!r} contains NaN or inf")
    return arr.copy()


class NeuronGroup:
    """A population of ``n`` neurons of one model. Subclasses set ``kind``, ``state_vars`` and
    ``param_names``, and fill ``self.params`` / ``self.initial`` with (n,) float64 arrays."""

    kind: str = ""
    state_vars: tuple[str, ...] = ()
    param_names: tuple[str, ...] = ()

    def __init__(self, n: int):
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise ValueError(f"population size n must be a positive integer, got {n!r}")
        self.n = int(n)
        self.params: dict[str, np.ndarray] = {}
        self.initial: dict[str, np.ndarray] = {}

    def _set_params(self, values: Mapping[str, object]) -> None:
        for name in self.param_names:
            self.params[name] = per_neuron(name, values[name], self.n)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n={self.n})"
