"""The ``target=`` strings of ``Network.connect``, kept as shorthands for synapse models:

* ``"v"``: ``Delta("v")``, a jump of the membrane potential;
* ``"I"``: ``Pulse()``, a current for one step;
* ``"I_syn"``: an exponential current with the postsynaptic population's ``tau_syn`` (one value
  per neuron), given to the neuron as its value at the start of the step
  (``Exponential(charge="sample")``), recorded as the state variable ``"I_syn"``.
"""
from __future__ import annotations

from .delta import Delta
from .exponential import Exponential
from .pulse import Pulse

TARGETS = ("v", "I", "I_syn")


def legacy_synapse(target: str, post_obj):
    if target == "v":
        return Delta("v")
    if target == "I":
        return Pulse()
    if target == "I_syn":
        attr = getattr(post_obj, "legacy_tau_syn", None)
        if attr is None:
            raise ValueError(f"target 'I_syn' needs a postsynaptic model with a tau_syn parameter; "
                             f"{type(post_obj).__name__} has none: pass synapse=ss.synapses.Exponential(tau=...)")
        return Exponential(tau=post_obj.param_values[attr], charge="sample", name="I_syn")
    raise ValueError(f"unknown synapse target {target!r}; use one of {TARGETS} or synapse=ss.synapses.<Model>(...)")
