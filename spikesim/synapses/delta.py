"""Delta synapse: an arriving spike makes the postsynaptic state variable jump by w.

    x_post <- x_post + w     at the start of the step the spike arrives in

``Delta("v")`` is the ``target="v"`` shorthand (a voltage jump, as in Brunel 2000 and NEST's
``iaf_psc_delta``)."""
from __future__ import annotations

from .base import SynapseModel


class Delta(SynapseModel):
    state: dict = {}
    params: dict = {}

    def __init__(self, var: str = "v"):
        if not isinstance(var, str) or not var.isidentifier():
            raise ValueError(f"Delta needs the name of a postsynaptic state variable, got {var!r}")
        super().__init__(name=f"delta_{var}")
        self.var = var
        self.neuron_target = var

    def key(self):
        return Delta, self.name, (("var", self.var),)

    def bind(self, post_model, n_post):
        if self.var not in post_model.state:
            raise ValueError(f"Delta({self.var!r}): the postsynaptic model {type(post_model).__name__} has no state "
                             f"variable {self.var!r}; it has {list(post_model.state)}")
        return {}

    def __repr__(self):
        return f"Delta({self.var!r})"
