"""The plasticity-rule contract: a synaptic learning rule written once as plain scalar Python.

A rule is a class (like a neuron model, :mod:`spikesim.neurons.base`) with

* ``params``: dict of parameters and their defaults (scalars, one value per projection);
* ``pre_traces`` / ``post_traces``: dicts ``trace name -> name of the parameter holding its time
  constant`` (ms). Every neuron has one value of each trace per plastic projection; each step
  the traces decay by exp(-dt / tau) and a neuron's traces grow by 1 when it spikes;
* ``state``: per-synapse variables besides the weight ``w`` (an eligibility trace ``c``, ...)
  with their initial values;
* optionally ``derived(dt, <params>) -> dict`` (scalars computed once in float64);
* ``modulated = True`` if the rule reads a third factor ``M`` (one value per step, given to
  the constructor as ``modulator=``);
* hooks, each an optional plain function (``@staticmethod``) returning the synapse's new
  ``(w, *state)`` tuple; their arguments bind by name to ``w``, the per-synapse state, the
  traces (a pre trace is the presynaptic neuron's value, a post trace the postsynaptic
  neuron's), the parameters and derived values, ``M`` (modulated rules), ``dt`` and ``t``:

  - ``before``: every plastic synapse, every step, first (e.g. decay of an eligibility);
  - ``on_pre``: each synapse of a neuron that spiked in this step;
  - ``on_post``: each synapse onto a neuron that spiked in this step;
  - ``after``: every plastic synapse, every step, last (e.g. the modulated weight change).

**Schedule of the plasticity phase of step n** (after the propagation and the resets, before
the monitors, see :mod:`spikesim.core.network`), the same on every backend: traces decay ->
``before`` -> ``on_pre`` for the synapses of this step's spikes -> ``on_post`` for the synapses
onto this step's spikes -> the traces of the neurons that spiked += 1 -> ``after``. So the spike
hooks read the traces *before* this step's increments (Pfister & Gerstner's t - epsilon), a
spike transmits the weight it had before this step's plasticity, and a pre and a post spike in
the same step do not interact. Only the synapses of a plastic projection run the hooks; a
static network runs no plasticity code at all.

A user's rule is one class in one file; a hook that takes a name that binds to nothing gets a
:class:`~spikesim.neurons.base.ModelError` naming the rule, the hook and the names. Example, a
Hebbian rule with weight decay (see README *Plasticity*)::

    class HebbDecay(ss.plasticity.PlasticityRule):
        params = {"tau": 20.0, "eta": 0.01, "lam": 1e-4, "w_max": 1.0}
        pre_traces = {"x": "tau"}
        @staticmethod
        def on_post(w, x, eta, w_max): return (min(w + eta * x, w_max),)
        @staticmethod
        def after(w, lam): return (w - lam * w,)
"""
from __future__ import annotations

import math

import numpy as np

from spikesim.neurons.base import ModelBase, ModelError, arg_names

HOOKS = ("before", "on_pre", "on_post", "after")


def clip(w, w_min, w_max):
    """Scalar clip of a weight into [w_min, w_max] (for hooks; compiled with them)."""
    if w < w_min:
        return w_min
    if w > w_max:
        return w_max
    return w


class PlasticityRule(ModelBase):
    """Base class of plasticity rules (see the module docstring for the contract)."""

    kind_label = "plasticity rule"
    params: dict[str, float] = {}
    state: dict[str, float] = {}
    pre_traces: dict[str, str] = {}
    post_traces: dict[str, str] = {}
    modulated = False
    before = on_pre = on_post = after = None
    functions: tuple[str, ...] = ()

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        cls.functions = tuple(h for h in HOOKS if getattr(cls, h, None) is not None)

    # ---------------------------------------------------------------- contract
    @classmethod
    def traces(cls) -> tuple[str, ...]:
        return tuple(cls.pre_traces) + tuple(cls.post_traces)

    @classmethod
    def bindable(cls, extra: tuple[str, ...] = ()) -> dict[str, str]:
        names = {"w": "weight"}
        names.update({k: "synapse state" for k in cls.state})
        names.update({k: "trace" for k in cls.traces()})
        names.update({k: "param" for k in cls.params})
        names.update({k: "derived" for k in cls.derived_names()})
        names.update({k: "special" for k in ("dt", "t") + (("M",) if cls.modulated else ())})
        return names

    @classmethod
    def check_contract(cls, extra: tuple[str, ...] = ()) -> None:
        label = f"{cls.kind_label} {cls.model_name()}"
        for attr in ("state", "params", "pre_traces", "post_traces"):
            d = getattr(cls, attr)
            if not isinstance(d, dict) or not all(isinstance(k, str) and k.isidentifier() for k in d):
                raise ModelError(f"{label}: {attr} must be a dict with identifier keys")
        names = ["w"] + list(cls.state) + list(cls.traces()) + list(cls.params)
        dup = sorted({k for k in names if names.count(k) > 1})
        if dup:
            raise ModelError(f"{label}: names {dup} are used twice among w, state, traces and parameters")
        for trace, tau in {**cls.pre_traces, **cls.post_traces}.items():
            if tau not in cls.params:
                raise ModelError(f"{label}: trace {trace!r} takes its time constant from {tau!r}, which is not a "
                                 f"parameter {list(cls.params)}")
        if not cls.functions:
            raise ModelError(f"{label}: a rule needs at least one of the hooks {list(HOOKS)}")
        known = cls.bindable()
        for fname in cls.functions:
            bad = [a for a in arg_names(getattr(cls, fname)) if a not in known]
            if bad:
                hint = " (M needs modulated = True)" if "M" in bad and not cls.modulated else ""
                raise ModelError(f"{label}: {fname}() takes {bad}, which bind to nothing{hint}; it may take w, "
                                 f"synapse state {list(cls.state)}, traces {list(cls.traces())}, parameters "
                                 f"{list(cls.params)}, derived values {list(cls.derived_names())}, dt, t"
                                 + (", M" if cls.modulated else ""))

    # ---------------------------------------------------------------- instances
    def __init__(self, modulator=None, **values):
        cls = type(self)
        cls.check_contract()
        unknown = sorted(set(values) - set(cls.params))
        if unknown:
            raise TypeError(f"{cls.model_name()} has no parameter {unknown}; parameters: {list(cls.params)}")
        self.values = {}
        for k, d in cls.params.items():
            v = values.get(k, d)
            if isinstance(v, (bool, str)) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise ValueError(f"{cls.model_name()} {k} must be a number (one value per projection), got "
                                 f"{type(v).__name__}")
            if not math.isfinite(v):
                raise ValueError(f"{cls.model_name()} {k} must be finite, got {v!r}")
            self.values[k] = float(v)
        for trace, tau in {**cls.pre_traces, **cls.post_traces}.items():
            if not self.values[tau] > 0:
                raise ValueError(f"{cls.model_name()} {tau} (time constant of trace {trace!r}) must be a positive "
                                 f"number of ms, got {self.values[tau]!r}")
        if "w_min" in self.values and "w_max" in self.values and self.values["w_min"] > self.values["w_max"]:
            raise ValueError(f"{cls.model_name()} w_min ({self.values['w_min']}) must not exceed w_max "
                             f"({self.values['w_max']})")
        if cls.modulated:
            if modulator is None:
                raise ValueError(f"{cls.model_name()} is modulated: give modulator= (one value per step)")
            m = np.asarray(modulator, dtype=np.float64)
            if m.ndim != 1:
                raise ValueError(f"modulator must be a 1-D array with one value per step, got shape {m.shape}")
            if not np.all(np.isfinite(m)):
                raise ValueError("modulator contains NaN or inf")
            self.modulator_array = m
        elif modulator is not None:
            raise ValueError(f"{cls.model_name()} is not modulated; it takes no modulator")
        else:
            self.modulator_array = np.zeros(0)
        self.validate()

    def validate(self) -> None:
        """Hook for range checks of parameters (raise ValueError naming the parameter)."""

    def __getattr__(self, name):
        values = self.__dict__.get("values")
        if values is not None and name in values:
            return values[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    @property
    def w_min(self) -> float:
        return self.values.get("w_min", -math.inf)

    @property
    def w_max(self) -> float:
        return self.values.get("w_max", math.inf)

    def table(self, dt: float) -> tuple[tuple[str, ...], np.ndarray]:
        """(names, values) of the parameters and derived values, as the kernels read them."""
        d = type(self).compute_derived(dt, self.values)
        names = tuple(self.values) + tuple(d)
        return names, np.array([*self.values.values(), *d.values()], dtype=np.float64)

    def decays(self, dt: float) -> np.ndarray:
        """exp(-dt / tau) of every trace, pre traces first."""
        taus = [self.values[t] for t in {**type(self).pre_traces, **type(self).post_traces}.values()]
        return np.array([math.exp(-dt / tau) for tau in taus], dtype=np.float64)

    def __repr__(self) -> str:
        vals = ", ".join(f"{k}={v:g}" for k, v in self.values.items())
        return f"{type(self).__name__}({vals})"
