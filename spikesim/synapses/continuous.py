"""Continuous projections: couplings evaluated every step from both sides' state (no spikes,
no delay), summed into the postsynaptic neuron's input current, e.g. electrical synapses.

A continuous model declares ``params`` (scalars for the projection) and a scalar function
``coupling`` whose arguments bind by name: ``w`` (the synapse's weight), ``<var>_pre`` and
``<var>_post`` (state variables of the presynaptic and postsynaptic neuron at the start of
the step), its parameters, ``dt`` and ``t``. For each postsynaptic neuron j the step's input
current gets sum_i coupling(w_ij, pre_i, post_j) (Brian2's ``(summed)`` variables into a
current). Built-ins:

* :class:`GapJunction`: I_j += sum_i w_ij (v_i - v_j) (an electrical synapse of conductance w;
  connect both directions for a symmetric junction);
* :class:`RateCoupling`: I_j += sum_i w_ij f(x_i), f(x) = max(x - theta, 0) of a presynaptic
  state variable named by ``var`` (rate units; ``theta`` a parameter);
* :class:`LinearCoupling`: I_j += sum_i w_ij v_i, the value of a non-spiking presynaptic
  neuron through a weight (how a NIR leaky integrator feeds the next node);
* :class:`LinearRateCoupling`: I_j += sum_i w_ij phi_i, phi the output of rate units such as
  :class:`spikesim.neurons.TanhRate` (echo-state networks).
"""
from __future__ import annotations

from spikesim.neurons.base import ModelBase, ModelError, arg_names


class ContinuousModel(ModelBase):
    functions = ("coupling",)
    kind_label = "continuous model"
    state: dict = {}

    def __init__(self, **values):
        cls = type(self)
        unknown = sorted(set(values) - set(cls.params))
        if unknown:
            raise TypeError(f"{cls.model_name()} has no parameter {unknown}; parameters: {list(cls.params)}")
        self.values = {k: float(values.get(k, d)) for k, d in cls.params.items()}

    def bind(self, pre_model, post_model) -> None:
        cls = type(self)
        known = {"w", "dt", "t", *cls.params}
        known |= {f"{k}_pre" for k in getattr(pre_model, "state", {})}
        known |= {f"{k}_post" for k in post_model.state}
        bad = [a for a in arg_names(cls.coupling) if a not in known]
        if bad:
            raise ModelError(f"continuous model {cls.model_name()}: coupling() takes {bad}, which bind to nothing; "
                             f"it may take w, dt, t, parameters {list(cls.params)} and <state>_pre / <state>_post "
                             f"of {type(pre_model).__name__} -> {type(post_model).__name__}")

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v}' for k, v in self.values.items())})"


class GapJunction(ContinuousModel):
    params: dict = {}

    @staticmethod
    def coupling(w, v_pre, v_post):
        return w * (v_pre - v_post)


class RateCoupling(ContinuousModel):
    params = {"theta": 0.0}

    @staticmethod
    def coupling(w, v_pre, theta):
        x = v_pre - theta
        return w * (x if x > 0.0 else 0.0)


class LinearCoupling(ContinuousModel):
    params: dict = {}

    @staticmethod
    def coupling(w, v_pre):
        return w * v_pre


class LinearRateCoupling(ContinuousModel):
    params: dict = {}

    @staticmethod
    def coupling(w, phi_pre):
        return w * phi_pre
