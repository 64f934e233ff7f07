"""The model contract: neuron (and synapse) models written once as plain scalar Python.

A model is a class with

* ``state``: dict of state variables and their default initial values (float);
* ``params``: dict of parameters and their defaults (float);
* optionally ``derived(dt, <params>) -> dict``: values computed once at build, per neuron, in
  float64 with the ``math`` module (decay factors such as ``math.exp(-dt / tau)``);
* plain scalar functions (``@staticmethod``) whose arguments **bind by name** to the state
  variables, parameters, derived values, ``I`` (the total input current of the step), ``dt``
  and ``t`` (time in ms at the start of the step). A neuron model has ``update`` (returns the
  new state tuple, every state variable in declared order), ``threshold`` (returns a bool)
  and ``reset`` (returns the new state tuple after a spike).

The functions may use arithmetic, comparisons, ``a if c else b``, ``math.*`` and ``np.*``
scalar functions, numeric module-level constants and other plain functions of the same kind.
Every backend compiles the same source (``numba.njit``, ``numba.cuda.jit(device=True)``) or
runs it as it is (the NumPy reference), so they compute the same float64 arithmetic.

Constructor keywords set parameters or initial state, each a scalar or an (n,) array.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np

SPECIAL_NAMES = ("I", "dt", "t")
#: names only ``update`` may take: the summed conductance ``g_syn`` and conductance-weighted reversal
#: potential ``gE_syn`` of the population's conductance synapses (a model that takes them integrates
#: the synaptic conductances itself, e.g. inside an exponential step; see spikesim.synapses.base)
CONDUCTANCE_NAMES = ("g_syn", "gE_syn")


def takes_conductances(model) -> bool:
    """Whether a neuron model's ``update`` takes the synaptic conductances (``g_syn``/``gE_syn``)."""
    fn = getattr(model, "update", None)
    return fn is not None and any(a in CONDUCTANCE_NAMES for a in arg_names(fn))


class ModelError(TypeError):
    """A model's definition does not fit the contract (the message names model, function, names)."""


def per_neuron(name: str, value, n: int, what: str = "parameter") -> np.ndarray:
    """Broadcast a scalar or (n,) value to a float64 (n,) array; clear error otherwise."""
    label = f"{what} {name!r}"
    if isinstance(value, (str, bytes, complex, bool)) or (isinstance(value, np.ndarray) and value.dtype.kind in "USOcb"):
        raise ValueError(f"{label} must be a number or an array of numbers, got {type(value).__name__}")
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{label} must be a number or an array of numbers, got {type(value).__name__}") from None
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValueError(f"{label} must be a scalar or have shape ({n},), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{label} contains NaN or inf")
    return arr


def arg_names(fn: Callable) -> tuple[str, ...]:
    return tuple(inspect.signature(fn).parameters)


class ModelBase:
    """What neuron and synapse models share: declared state and parameters, derived values, and
    the check that every function argument binds to a known name."""

    state: dict[str, float] = {}
    params: dict[str, float] = {}
    derived: Callable | None = None
    functions: tuple[str, ...] = ()      # the contract's function names for this kind of model
    kind_label = "model"

    @classmethod
    def model_name(cls) -> str:
        return cls.__name__

    @classmethod
    def derived_names(cls, dt: float = 0.1) -> tuple[str, ...]:
        if cls.derived is None:
            return ()
        return tuple(cls.compute_derived(dt, {k: float(v) for k, v in cls.params.items()}))

    @classmethod
    def compute_derived(cls, dt: float, values: dict[str, float]) -> dict[str, float]:
        """``derived(dt, ...)`` for one set of scalar parameter values."""
        if cls.derived is None:
            return {}
        names = arg_names(cls.derived)
        known = {"dt": dt, **values}
        missing = [a for a in names if a not in known]
        if missing:
            raise ModelError(f"{cls.kind_label} {cls.model_name()}: derived() takes {missing}, which are neither "
                             f"'dt' nor parameters {list(cls.params)}")
        out = cls.derived(**{a: known[a] for a in names})
        if not isinstance(out, dict) or not all(isinstance(k, str) for k in out):
            raise ModelError(f"{cls.kind_label} {cls.model_name()}: derived() must return a dict of name -> value")
        clash = set(out) & (set(cls.params) | set(cls.state))
        if clash:
            raise ModelError(f"{cls.kind_label} {cls.model_name()}: derived() names {sorted(clash)} clash with "
                             "parameters or state variables")
        return {k: float(v) for k, v in out.items()}

    @classmethod
    def bindable(cls, extra: tuple[str, ...] = ()) -> dict[str, str]:
        """Every name a function may take, with where it comes from."""
        names = {k: "state" for k in cls.state}
        names.update({k: "param" for k in cls.params})
        names.update({k: "derived" for k in cls.derived_names()})
        names.update({k: "special" for k in SPECIAL_NAMES + extra})
        return names

    @classmethod
    def check_contract(cls, extra: tuple[str, ...] = ()) -> None:
        """Raise :class:`ModelError` naming the model, the function and the names that do not bind."""
        label = f"{cls.kind_label} {cls.model_name()}"
        for attr in ("state", "params"):
            d = getattr(cls, attr)
            if not isinstance(d, dict) or not all(isinstance(k, str) and k.isidentifier() for k in d):
                raise ModelError(f"{label}: {attr} must be a dict of identifier -> default value")
        clash = set(cls.state) & set(cls.params)
        if clash:
            raise ModelError(f"{label}: names {sorted(clash)} are both state variables and parameters")
        known = cls.bindable(extra)
        for fname in cls.functions:
            fn = getattr(cls, fname, None)
            if fn is None or not callable(fn):
                raise ModelError(f"{label}: the contract needs a function {fname}(...)")
            bad = [a for a in arg_names(fn) if a not in known]
            if bad:
                raise ModelError(f"{label}: {fname}() takes {bad}, which bind to nothing; it may take state "
                                 f"variables {list(cls.state)}, parameters {list(cls.params)}, derived values "
                                 f"{list(cls.derived_names())} and {list(SPECIAL_NAMES + extra)}")

    @classmethod
    def call(cls, fname: str, values: dict[str, Any]):
        """Call function ``fname`` with its arguments taken from ``values`` by name."""
        fn = getattr(cls, fname)
        return fn(*[values[a] for a in arg_names(fn)])


class NeuronModel(ModelBase):
    """Base class of neuron models (see the module docstring for the contract)::

        class QIF(ss.neurons.NeuronModel):
            state = {"v": -65.0}
            params = {"tau": 10.0, "v_r": -65.0, "v_c": -50.0, "v_peak": 30.0, "v_reset": -70.0}
            @staticmethod
            def derived(dt, tau): return {"k": dt / tau}
            @staticmethod
            def update(v, I, k, v_r, v_c): return (v + k * ((v - v_r) * (v - v_c) / (v_c - v_r) + I),)
            @staticmethod
            def threshold(v, v_peak): return v >= v_peak
            @staticmethod
            def reset(v, v_reset): return (v_reset,)
    """

    functions = ("update", "threshold", "reset")
    kind_label = "neuron model"
    kind = "neuron"
    #: the parameter a ``target="I_syn"`` shorthand synapse takes its time constant from (legacy)
    legacy_tau_syn: str | None = None
    #: state variables checked for NaN/inf after each update (None: all of them); a model whose
    #: other variables cannot blow up on their own (a refractory countdown) names fewer, which
    #: keeps the loop short
    finite_check: tuple[str, ...] | None = None

    @classmethod
    def check_contract(cls, extra: tuple[str, ...] = ()) -> None:
        super().check_contract(extra + CONDUCTANCE_NAMES)
        for fname in ("threshold", "reset"):
            bad = [a for a in arg_names(getattr(cls, fname)) if a in CONDUCTANCE_NAMES]
            if bad:
                raise ModelError(f"{cls.kind_label} {cls.model_name()}: {fname}() takes {bad}; only update() may "
                                 "take the synaptic conductances")
            if "I" in arg_names(getattr(cls, fname)):
                raise ModelError(f"{cls.kind_label} {cls.model_name()}: {fname}() takes ['I']; only update() may "
                                 "take the input current (threshold and reset are evaluated after every neuron's "
                                 "update, when no per-neuron I is defined); keep what they need in a state variable")

    def __init__(self, n, /, **values):
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise ValueError(f"population size n must be a positive integer, got {n!r}")
        cls = type(self)
        cls.check_contract()
        unknown = sorted(set(values) - set(cls.params) - set(cls.state))
        if unknown:
            raise TypeError(f"{cls.model_name()} has no parameter or state variable {unknown}; parameters: "
                            f"{list(cls.params)}, state: {list(cls.state)}")
        self.n = int(n)
        self.param_values = {k: per_neuron(k, values.get(k, d), self.n) for k, d in cls.params.items()}
        self.initial = {k: per_neuron(k, values.get(k, d), self.n, "initial state") for k, d in cls.state.items()}
        self.validate()

    def validate(self) -> None:
        """Hook for range checks of parameters (raise ValueError naming the parameter)."""

    @property
    def state_vars(self) -> tuple[str, ...]:
        extra = ("I_syn",) if self.legacy_tau_syn else ()
        return tuple(type(self).state) + extra

    # kept for code that reads ``pop.params[name]`` (per-neuron arrays)
    @property
    def params_array(self) -> dict[str, np.ndarray]:
        return self.param_values

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n={self.n})"


def require_positive(model: NeuronModel, *names: str) -> None:
    for name in names:
        if np.any(model.param_values[name] <= 0):
            raise ValueError(f"{type(model).__name__} parameter {name!r} must be positive")


def require_nonnegative(model: NeuronModel, *names: str) -> None:
    for name in names:
        if np.any(model.param_values[name] < 0):
            raise ValueError(f"{type(model).__name__} parameter {name!r} must be >= 0")
