"""The synapse-model contract: a postsynaptic model with its own state per postsynaptic neuron.

A synapse model, like a neuron model (:mod:`spikesim.neurons.base`), declares ``state``,
``params``, optionally ``derived(dt, ...)``, and plain scalar functions whose arguments bind by
name:

* ``target``: the state variable to which an arriving spike adds its weight ``w``;
* ``current(...)`` -> the current it gives the postsynaptic neuron in this step; besides its own
  state, parameters and derived values it may take the postsynaptic neuron's state variables
  (``v`` for a conductance), read at the start of the step;
* ``update(...)`` -> its new state tuple after the step (the decay over dt).

Schedule within step n (see :mod:`spikesim.core.network`): the ring-buffer slot n is added to
``target``; the neuron's input current is I = external currents + the ``current`` of each
synapse model of the population (in the order documented in the network module); the neuron
updates; each synapse model updates. Instances with the same class, name and parameters share
one state (one set of conductances per postsynaptic neuron, whatever the number of projections).

A **conductance** model (:class:`~spikesim.synapses.Conductance`) also has ``conductance(...)``
(its conductance over the step) and ``reversal`` (the name of its reversal-potential
parameter). A neuron model whose ``update`` takes ``g_syn`` and ``gE_syn`` receives the sums
over its conductance synapses of g and g * E instead of their currents, and integrates them
itself (Hodgkin-Huxley puts them into v's exponential step, as Brian2's exponential Euler does);
for every other neuron model the synapse's ``current`` is added to I.

A model with ``neuron_target`` set (:class:`Delta`) has no state: the weight jumps straight onto
that state variable of the postsynaptic neuron at the start of the step.
"""
from __future__ import annotations

import numpy as np

from spikesim.neurons.base import ModelBase, ModelError, per_neuron


class SynapseModel(ModelBase):
    """Base class of postsynaptic models. Subclasses set ``state``, ``params``, ``target`` and
    the functions ``current`` and ``update``; constructor keywords set parameters (scalar, or
    one value per postsynaptic neuron)."""

    functions = ("current", "update")
    kind_label = "synapse model"
    target: str | None = None
    neuron_target: str | None = None
    #: synapses of a lower rank add their current first (Pulse before the others)
    rank = 1
    #: conductance models: the parameter holding the reversal potential (with a ``conductance`` function)
    reversal: str | None = None

    @classmethod
    def is_conductance(cls) -> bool:
        return cls.reversal is not None and callable(getattr(cls, "conductance", None))

    def __init__(self, name: str | None = None, **values):
        cls = type(self)
        unknown = sorted(set(values) - set(cls.params))
        if unknown:
            raise TypeError(f"{cls.model_name()} has no parameter {unknown}; parameters: {list(cls.params)}")
        if name is not None and (not isinstance(name, str) or not name.isidentifier()):
            raise ValueError(f"synapse name must be an identifier, got {name!r}")
        self.values = {k: values.get(k, d) for k, d in cls.params.items()}
        for k, v in self.values.items():
            per_neuron(f"{cls.model_name()} {k}", v, np.size(v))   # type/finite check
        self.name = name

    def default_name(self) -> str:
        parts = [type(self).__name__.lower()]
        for k, v in self.values.items():
            if np.ndim(v) == 0:
                parts.append(f"{k}{float(v):g}".replace(".", "p").replace("-", "m"))
        return "_".join(parts)

    def key(self) -> tuple:
        """Identity: instances with equal keys share state in a population."""
        vals = tuple((k, float(v)) if np.ndim(v) == 0 else (k, np.asarray(v, float).tobytes())
                     for k, v in self.values.items())
        return type(self), self.name or self.default_name(), vals

    def bind(self, post_model, n_post: int) -> dict[str, np.ndarray]:
        """Check the contract against the postsynaptic neuron model; per-neuron parameter arrays."""
        cls = type(self)
        if cls.neuron_target is None:
            if cls.target not in cls.state:
                raise ModelError(f"synapse model {cls.model_name()}: target {cls.target!r} is not one of its "
                                 f"state variables {list(cls.state)}")
            cls.check_contract(extra=tuple(post_model.state))
            if cls.reversal is not None:
                if cls.reversal not in cls.params or not callable(getattr(cls, "conductance", None)):
                    raise ModelError(f"synapse model {cls.model_name()}: reversal = {cls.reversal!r} needs that "
                                     "parameter and a conductance() function")
                from spikesim.neurons.base import arg_names
                bad = [a for a in arg_names(cls.conductance) if a not in cls.bindable(tuple(post_model.state))]
                if bad:
                    raise ModelError(f"synapse model {cls.model_name()}: conductance() takes {bad}, which bind to "
                                     "nothing")
        arrays = {k: per_neuron(f"{cls.model_name()} {k}", v, n_post) for k, v in self.values.items()}
        self.validate(arrays)
        return arrays

    def validate(self, arrays: dict[str, np.ndarray]) -> None:
        """Hook for range checks (raise ValueError naming the parameter)."""

    def __repr__(self) -> str:
        vals = ", ".join(f"{k}={v}" for k, v in self.values.items() if np.ndim(v) == 0)
        return f"{type(self).__name__}({vals})"


def positive(model: SynapseModel, arrays, *names):
    for name in names:
        if np.any(arrays[name] <= 0):
            raise ValueError(f"{type(model).__name__} parameter {name!r} must be positive")
