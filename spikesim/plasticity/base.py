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
onto this step's spikes -> the traces of the neurons that spiked += 1 -> post sums -> pre sums
-> ``after``. So the spike
hooks read the traces *before* this step's increments (Pfister & Gerstner's t - epsilon), a
spike transmits the weight it had before this step's plasticity, and a pre and a post spike in
the same step do not interact. Only the synapses of a plastic projection run the hooks; a
static network runs no plasticity code at all.

**Neuron state and sums over synapses** (for rules such as Oja's subspace rule, whose update
of synapse i <- j needs sum_l w_lj y_l over the other synapses of neuron j):

* ``pre_vars`` / ``post_vars``: dicts ``name -> state variable of the presynaptic /
  postsynaptic population`` (a neuron population: a spike source has no state); a hook taking
  ``name`` reads that variable of the synapse's pre / post neuron as it is after this step's
  update and reset;
* ``post_sums``: names ``s``, each with a hook ``post_sum_<s>(...) -> value`` (a number, not a
  tuple; binds like ``after`` without the sums): each step, ``s`` of postsynaptic neuron i is the
  sum of the hook's value over the rule's synapses onto i;
* ``pre_sums``: names ``s``, each with a hook ``pre_sum_<s>(...) -> value`` that may also bind
  the post sums (at the synapse's post neuron): ``s`` of presynaptic neuron j is the sum over the
  rule's synapses from j;
* ``after`` may bind the post sums (at its post neuron) and the pre sums (at its pre neuron);
  ``before`` / ``on_pre`` / ``on_post`` run before the sums and cannot bind them.

Every sum starts at 0.0 and adds its terms in ascending order of the synapses' CSR positions
(by presynaptic neuron, then as given), so it is deterministic and the same on every backend.
A modulated rule may set ``gated = True``: its sums and its ``after`` hook then run only in
steps with M != 0 (M marks the steps that learn, e.g. the end of each sample window), which
saves the sweeps over the synapses in every other step.

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
    gated = False
    pre_vars: dict[str, str] = {}
    post_vars: dict[str, str] = {}
    pre_sums: tuple[str, ...] = ()
    post_sums: tuple[str, ...] = ()
    before = on_pre = on_post = after = None
    functions: tuple[str, ...] = ()

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        cls.functions = tuple(h for h in HOOKS if getattr(cls, h, None) is not None) + cls.sum_hooks()

    @classmethod
    def sum_hooks(cls) -> tuple[str, ...]:
        """The hooks of the sums: ``post_sum_<s>`` for each post sum, then ``pre_sum_<s>``."""
        return tuple(f"post_sum_{s}" for s in cls.post_sums) + tuple(f"pre_sum_{s}" for s in cls.pre_sums)

    @classmethod
    def sums(cls) -> tuple[str, ...]:
        """Names of the sums, post sums first (the rows of the plan's sum table)."""
        return tuple(cls.post_sums) + tuple(cls.pre_sums)

    @classmethod
    def uses_neurons(cls) -> bool:
        """Whether the rule reads neuron state or sums (then it needs the pre / post populations)."""
        return bool(cls.pre_vars or cls.post_vars or cls.post_sums or cls.pre_sums)

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
        names.update({k: "presynaptic neuron state" for k in cls.pre_vars})
        names.update({k: "postsynaptic neuron state" for k in cls.post_vars})
        names.update({k: "special" for k in ("dt", "t") + (("M",) if cls.modulated else ())})
        return names

    @classmethod
    def check_contract(cls, extra: tuple[str, ...] = ()) -> None:
        label = f"{cls.kind_label} {cls.model_name()}"
        for attr in ("state", "params", "pre_traces", "post_traces"):
            d = getattr(cls, attr)
            if not isinstance(d, dict) or not all(isinstance(k, str) and k.isidentifier() for k in d):
                raise ModelError(f"{label}: {attr} must be a dict with identifier keys")
        for attr in ("pre_vars", "post_vars"):
            d = getattr(cls, attr)
            if not isinstance(d, dict) or not all(isinstance(k, str) and k.isidentifier() and isinstance(v, str)
                                                  for k, v in d.items()):
                raise ModelError(f"{label}: {attr} must be a dict name -> state variable name")
        for attr in ("pre_sums", "post_sums"):
            d = getattr(cls, attr)
            if not isinstance(d, tuple) or not all(isinstance(k, str) and k.isidentifier() for k in d):
                raise ModelError(f"{label}: {attr} must be a tuple of identifier names")
        if cls.gated and not cls.modulated:
            raise ModelError(f"{label}: gated = True needs modulated = True (the gate is M != 0)")
        names = ["w"] + list(cls.state) + list(cls.traces()) + list(cls.params) + list(cls.pre_vars) + \
            list(cls.post_vars) + list(cls.sums())
        dup = sorted({k for k in names if names.count(k) > 1})
        if dup:
            raise ModelError(f"{label}: names {dup} are used twice among w, state, traces, parameters, neuron "
                             f"state and sums")
        missing = [h for h in cls.sum_hooks() if not callable(getattr(cls, h, None))]
        if missing:
            raise ModelError(f"{label}: the sums need the hooks {missing}")
        for trace, tau in {**cls.pre_traces, **cls.post_traces}.items():
            if tau not in cls.params:
                raise ModelError(f"{label}: trace {trace!r} takes its time constant from {tau!r}, which is not a "
                                 f"parameter {list(cls.params)}")
        if not cls.functions:
            raise ModelError(f"{label}: a rule needs at least one of the hooks {list(HOOKS)}")
        known = cls.bindable()
        for fname in cls.functions:
            allowed = dict(known)
            if fname == "after":
                allowed.update({k: "sum" for k in cls.sums()})
            elif fname.startswith("pre_sum_"):
                allowed.update({k: "post sum" for k in cls.post_sums})
            bad = [a for a in arg_names(getattr(cls, fname)) if a not in allowed]
            if any(a in cls.sums() for a in bad):
                raise ModelError(f"{label}: {fname}() takes the sums {[a for a in bad if a in cls.sums()]}, which "
                                 f"only after() (any sum) and pre_sum_*() (post sums) can read")
            if bad:
                hint = " (M needs modulated = True)" if "M" in bad and not cls.modulated else ""
                raise ModelError(f"{label}: {fname}() takes {bad}, which bind to nothing{hint}; it may take w, "
                                 f"synapse state {list(cls.state)}, traces {list(cls.traces())}, parameters "
                                 f"{list(cls.params)}, derived values {list(cls.derived_names())}, neuron state "
                                 f"{list(cls.pre_vars) + list(cls.post_vars)}, dt, t"
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
