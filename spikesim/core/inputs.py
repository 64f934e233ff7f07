"""Spike-emitting input populations: explicit spike times, and seeded Poisson sources.

Both are populations: they can be the presynaptic side of ``Network.connect`` and their spikes
can be recorded. (Currents are injected with ``Network.inject``.)

Both are immutable: the arrays are validated, copied and made read-only at construction, and
``n`` / ``times`` / ``ids`` / ``rate_hz`` cannot be reassigned, so nothing done to the caller's
arrays (or to these objects) after construction can reach a kernel.
"""
from __future__ import annotations

import numpy as np

from spikesim.core.validate import check_array, check_index_array, check_int, check_number


class _Frozen:
    """Attributes are set once in ``__init__``; later assignment raises AttributeError."""

    _sealed = False

    def __setattr__(self, key, value):
        if self._sealed:
            raise AttributeError(f"{type(self).__name__} is immutable (cannot set {key!r}); create a new one")
        object.__setattr__(self, key, value)


def _fits(a, dtype, ndim: int) -> bool:
    """``a`` is already an ndarray of ``dtype`` and ``ndim`` dimensions in one C-contiguous block
    (then it can be used in place: no copy of a large input array)."""
    return isinstance(a, np.ndarray) and a.dtype == dtype and a.ndim == ndim and a.flags.c_contiguous


class SpikeSource(_Frozen):
    """``n`` sources that spike at the given times (ms) and ids (0..n-1).

    Times are rounded to the nearest step at build; several spikes of one source in one step
    count once. ``times`` and ``ids`` are copied (a frozen copy: validated ids must stay in
    range); a schedule already ordered by (step, id) is not sorted again at build.
    """

    kind = "spike_source"
    state_vars: tuple[str, ...] = ()

    def __init__(self, n: int, times, ids):
        try:
            n = check_int(n, "SpikeSource n", low=1)
        except (TypeError, ValueError):
            raise ValueError(f"SpikeSource n must be a positive integer, got {n!r}") from None
        # a frozen copy, not the caller's arrays: ids changed after this check could index out of
        # range in a kernel (issue 15)
        times = check_array(times, "SpikeSource times", finite=False, readonly=False).ravel()
        if np.ndim(ids) == 0 or np.size(ids) != times.size:
            raise ValueError(f"SpikeSource times and ids must have the same length, got {times.size} and "
                             f"{np.size(ids)}")
        ids = check_index_array(ids, "SpikeSource ids", n)
        if not np.all(np.isfinite(times)):
            raise ValueError("SpikeSource times contain NaN or inf")
        if np.any(times < 0):
            raise ValueError("SpikeSource times must be >= 0 ms")
        times.setflags(write=False)
        self.n, self.times, self.ids = n, times, ids
        self._sealed = True

    def __repr__(self) -> str:
        return f"SpikeSource(n={self.n}, spikes={self.times.size})"


class Poisson(_Frozen):
    """``n`` independent Poisson sources at ``rate_hz``: a scalar or (n,), or a rate over time,
    (n_steps, n) or (n_steps, 1) (row k is the rate of step k; one column drives every source).

    In each step of length dt a source fires when u < rate * dt, u drawn from the counter-based
    stream keyed by (network seed, population index, step, neuron), so every backend emits the
    same spikes (Bernoulli approximation of a Poisson process; exact as dt -> 0). A rate above
    1/dt cannot be represented; :func:`spikesim.core.validate.check_poisson_rate` refuses it at
    build, when dt is known. A float64 C-contiguous rate over time is used in place (a read-only
    view, as for currents).
    """

    kind = "poisson"
    state_vars: tuple[str, ...] = ()

    def __init__(self, n: int, rate_hz):
        try:
            n = check_int(n, "Poisson n", low=1)
        except (TypeError, ValueError):
            raise ValueError(f"Poisson n must be a positive integer, got {n!r}") from None
        # a float64 C-contiguous rate over time is used in place (a read-only view), others copied
        rate = check_array(rate_hz, "Poisson rate_hz", finite=False, readonly=False,
                           copy=not _fits(rate_hz, np.float64, 2)).view()
        rate = np.full(n, float(rate)) if rate.ndim == 0 else rate
        if rate.shape != (n,) and not (rate.ndim == 2 and rate.shape[1] in (1, n) and rate.shape[0] >= 1):
            raise ValueError(f"Poisson rate_hz must be a scalar, shape ({n},), or over time (n_steps, {n}) or "
                             f"(n_steps, 1); got {rate.shape}")
        if not np.all(np.isfinite(rate)) or np.any(rate < 0):
            raise ValueError("Poisson rate_hz must be finite and >= 0")
        rate.setflags(write=False)
        self.n, self.rate_hz = n, rate
        self._sealed = True

    @property
    def timed(self) -> bool:
        """True when the rate changes over time (rows are steps)."""
        return self.rate_hz.ndim == 2

    def __repr__(self) -> str:
        return f"Poisson(n={self.n}, mean rate={self.rate_hz.mean():.3g} Hz)"


class PoissonInput:
    """``k`` independent Poisson trains at ``rate_hz`` per target neuron, each adding ``weight``
    to the target at the start of the step a spike falls in (Brian2's ``PoissonInput``): per
    step and neuron the count is Binomial(k, rate * dt), drawn in the loop from the
    counter-based stream (inverse CDF of one uniform), so no k source neurons are simulated.

    ``synapse``: where the weight goes, as in ``Network.connect`` (default ``Delta("v")``; the
    shorthand strings ``"v"``, ``"I"``, ``"I_syn"`` work too). Inject it with ``net.inject(pop, ...)``.
    """

    def __init__(self, k: int, rate_hz: float, weight: float, synapse="v"):
        self.k = check_int(k, "PoissonInput k", low=1)
        self.rate_hz = check_number(rate_hz, "PoissonInput rate_hz", low=0.0)
        self.weight = check_number(weight, "PoissonInput weight")
        self.synapse = synapse
        self.synapse_model = None          # resolved against the target population by Network.inject

    def __repr__(self) -> str:
        return f"PoissonInput(k={self.k}, rate_hz={self.rate_hz}, weight={self.weight}, synapse={self.synapse!r})"
