"""The refractory options shared by the integrate-and-fire models.

Every model with a refractory period keeps a countdown ``ref`` (in steps) as a state variable:
the reset sets it to ``ref_steps = ceil(t_ref / dt)`` and each update decreases it by one while
it is positive. ``refractory`` chooses what happens meanwhile:

* ``"clamp"``: v is held at its reset value (the other state variables, e.g. AdEx's w, keep
  integrating); Brian2's ``(unless refractory)`` flag on v, NEST's clamp.
* ``"threshold"``: v keeps integrating its input; only new spikes are blocked. This is Brian2's
  ``refractory=...`` without ``(unless refractory)``.

After a spike at step n the updates of steps n+1 .. n+ref_steps are the refractory ones and the
threshold is tested again from step n+ref_steps on, as in Brian2.
"""
from __future__ import annotations

import math

REFRACTORY = {"threshold": 0.0, "clamp": 1.0}


def clamp_flag(model: str, refractory) -> float:
    """The ``clamp`` parameter (1.0 or 0.0) for a ``refractory`` option; clear error otherwise."""
    if not isinstance(refractory, str) or refractory not in REFRACTORY:
        raise ValueError(f"{model} refractory must be one of {list(REFRACTORY)}, got {refractory!r}")
    return REFRACTORY[refractory]


def refractory_steps(dt, t_ref):
    """ceil(t_ref / dt), robust to t_ref being a multiple of dt up to rounding."""
    return float(math.ceil(t_ref / dt - 1e-9))


def refractory_update(v_free, ref, v_reset, clamp):
    """(v, ref) after one update: v_free (the integrated value) unless the neuron is refractory
    and clamped, then v_reset; the countdown decreases while positive. Branch-free selects, so
    compiled loops vectorise."""
    refractory = ref > 0.0
    held = refractory & (clamp > 0.0)
    return (v_reset if held else v_free), (ref - 1.0 if refractory else ref)


def may_spike(ref, clamp):
    """False during a threshold-only refractory period (a clamped v cannot reach threshold)."""
    return (clamp > 0.0) | (ref <= 0.0)
