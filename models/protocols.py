"""The two ways a paradigm drives a model (DESIGN section 5). A spiking model and its ANN
comparator implement the same protocol, so the paradigm scores both with the same calls on the
same data.

:class:`Classifier` (``motion``, ``images``): learn once from a labelled training set, then
answer for new samples::

    model.fit(x, y, **options) -> model     # options: the paradigm's training settings
    model.predict(x) -> np.ndarray          # (N,) int class of each sample

:class:`OnlineLearner` (``continual``; the trials of ``what-when``): learn a sequence of
episodes one after another, each from its own data only, and answer at any point with what has
been learned so far::

    model.learn(t, x, y) -> None            # episode t (a task's training set) after 0 .. t-1
    model.predict(t, x) -> np.ndarray       # (N,) answers for inputs of episode t

Both carry ``name`` (the paradigm's ``--model`` name). The protocols are structural
(:class:`typing.Protocol`): a model needs the methods, not a base class. :func:`satisfies` also
checks that the methods accept the protocol's arguments.
"""
from __future__ import annotations

import inspect
from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Classifier(Protocol):
    """``fit(x, y, **options)`` then ``predict(x)`` (see the module docstring)."""

    name: str

    def fit(self, x: Any, y: Any, **options: Any) -> "Classifier":
        ...

    def predict(self, x: Any) -> np.ndarray:
        ...


@runtime_checkable
class OnlineLearner(Protocol):
    """``learn(t, x, y)`` episode after episode, ``predict(t, x)`` at any time (module docstring)."""

    name: str

    def learn(self, t: int, x: Any, y: Any) -> None:
        ...

    def predict(self, t: int, x: Any) -> np.ndarray:
        ...


#: protocol -> {method: the positional arguments a paradigm passes (the method must accept them
#: and need nothing more, except ``fit``, whose training options the paradigm passes by keyword)}
_CALLS = {
    Classifier: {"fit": ("x", "y"), "predict": ("x",)},
    OnlineLearner: {"learn": ("t", "x", "y"), "predict": ("t", "x")},
}


def problems(model: Any, protocol: type) -> list[str]:
    """Why ``model`` does not satisfy ``protocol`` (an empty list when it does): a missing
    ``name`` or method, or a method that cannot be called with the protocol's arguments."""
    if protocol not in _CALLS:
        raise TypeError(f"protocol must be Classifier or OnlineLearner, got {protocol!r}")
    out = []
    if not isinstance(getattr(model, "name", None), str) or not model.name:
        out.append("no str attribute 'name'")
    for method, args in _CALLS[protocol].items():
        fn = getattr(model, method, None)
        if not callable(fn):
            out.append(f"no method {method}()")
            continue
        sig = inspect.signature(fn)
        try:
            (sig.bind_partial if method == "fit" else sig.bind)(*args)
        except TypeError as exc:
            out.append(f"{method}{sig} cannot be called as {method}({', '.join(args)}): {exc}")
    return out


def satisfies(model: Any, protocol: type) -> bool:
    """True when ``model`` has ``name`` and the protocol's methods with callable signatures."""
    return not problems(model, protocol)


__all__ = ["Classifier", "OnlineLearner", "problems", "satisfies"]
