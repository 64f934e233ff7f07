"""Spikformer's LIF neuron (SpikingJelly ``MultiStepLIFNode``, as in Zhou et al., ICLR 2023,
Eqs. 1-3; :mod:`spikesim.nn.spiking_lif` in torch) with its constant drive switched on over a
window of steps, for networks lowered from a torch model (:mod:`spikesim.models.spikformer_lowering`)::

    g = 1 if on <= age < off else 0
    u = I + g (x + bias)                     # I: the step's input (one-step Pulse currents)
    H = v + a (u - v),  a = dt / tau         # tau = 2 steps in Spikformer
    spike if H >= v_th;  then v <- v_reset   # hard reset (to 0)
    age <- age + 1

``bias`` (a parameter) is a layer's bias with its batch norm folded in; ``x`` (a state variable,
so it can change between runs without rebuilding the network) is an external drive, e.g. the
first convolution's output for one image; ``age`` counts the steps since it was last set to 0.
The window [on, off) is where the layer's time steps arrive in a pipelined lowering (layer l
sees the model's step t at step t + on); outside it only arriving spikes act, so a layer stays
silent before its first input and after its last. Fires on H >= v_th (SpikingJelly), not on
H > v_th (norse, NIR).
"""
from __future__ import annotations

from .base import NeuronModel, require_positive


class WindowedLIF(NeuronModel):
    """``n`` Spikformer LIF neurons with a windowed constant drive (see the module docstring)."""

    state = {"v": 0.0, "x": 0.0, "age": 0.0}
    params = {"tau": 2.0, "v_th": 1.0, "v_reset": 0.0, "bias": 0.0, "on": 0.0, "off": 1e18}
    finite_check = ("v",)

    def validate(self):
        require_positive(self, "tau")

    @staticmethod
    def derived(dt, tau):
        return {"a": dt / tau}

    @staticmethod
    def update(v, x, age, I, a, bias, on, off):
        u = I + ((x + bias) if (age >= on) & (age < off) else 0.0)
        return (v + a * (u - v), x, age + 1.0)

    @staticmethod
    def threshold(v, v_th):
        return v >= v_th

    @staticmethod
    def reset(v, x, age, v_reset):
        return (v_reset, x, age)
