"""The DSR neuron of HLOP's spiking MLP, for running a DSR-trained network in the core.

Meng et al., CVPR 2022 ("Training high-performance low-latency spiking neural networks by
differentiation on spike representation"), the neuron Xiao et al. (ICLR 2024, HLOP) train their
spiking MLP with; the torch version that trains it is :class:`spikesim.nn.dsr_lif.DSRLIF`.
With beta = exp(-dt_m / tau_m) (the model's own units: tau_m = 1, dt_m = 0.05; one core step is
one model step)::

    g = 1 if on <= age < off else 0
    u <- beta u + (1 - beta) (I + g x)          # I: the step's input (one-step Pulse currents)
    age <- age + 1
    spike if u >= alpha v_th and on < age <= off;  then u <- u - v_th   # reset by subtraction

The spike stands for an output o = v_th / dt_m of that step, so a projection from a DSR
population carries W v_th / dt_m per spike (the lowering's job, not the neuron's).
``x`` (a state variable, settable between runs without rebuilding) is an external drive held
over the window [on, off) of steps, e.g. the first linear layer of a directly coded image;
the neuron fires only in that window (the T steps of one sample in a pipelined lowering: a
membrane left above threshold after the last step does not fire into the next layer).
The arithmetic is the torch forward pass's, term for term, so a layer driven by ``x`` alone
reproduces it to the last bit in float64.
"""
from __future__ import annotations

import math

from .base import NeuronModel, require_positive


class DSRNeuron(NeuronModel):
    """``n`` DSR neurons (module docstring). ``beta`` is the per-step decay exp(-dt_m / tau_m)
    (default: tau_m = 1, dt_m = 0.05, HLOP's values); ``alpha`` the firing fraction of ``v_th``."""

    state = {"u": 0.0, "x": 0.0, "age": 0.0}
    params = {"beta": math.exp(-0.05), "v_th": 0.3, "alpha": 0.3, "on": 0.0, "off": 1e18}
    finite_check = ("u",)

    def validate(self):
        import numpy as np
        require_positive(self, "v_th", "alpha")
        b = np.asarray(self.param_values["beta"])
        if not np.all((b > 0) & (b < 1)):
            raise ValueError("DSRNeuron beta must be in (0, 1): beta = exp(-dt/tau)")

    @staticmethod
    def update(u, x, age, I, beta, on, off):
        drive = I + (x if (age >= on) & (age < off) else 0.0)
        return (beta * u + (1.0 - beta) * drive, x, age + 1.0)

    @staticmethod
    def threshold(u, age, alpha, v_th, on, off):
        return (u >= alpha * v_th) & (age > on) & (age <= off)      # age: already counts this step

    @staticmethod
    def reset(u, x, age, v_th):
        return (u - v_th, x, age)
