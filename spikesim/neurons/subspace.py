"""HLOP's subspace neuron (Xiao et al., ICLR 2024): a lateral unit whose value y = sum_j H_j x_j
is a sum over its input synapses, computed by the plasticity rule that learns H
(:class:`spikesim.plasticity.oja.OjaSubspace`, its post sum ``y``).

The unit itself only holds ``free`` (1: its weights learn; 0: frozen, a neuron of an old task's
subspace, which still takes part in y and in the reconstruction but no longer changes). It never
spikes and its state does not change.
"""
from __future__ import annotations

from .base import NeuronModel


class SubspaceNeuron(NeuronModel):
    state = {"free": 1.0}
    params = {}

    def __init__(self, n, free=1.0):
        super().__init__(n, free=free)

    @staticmethod
    def update(free):
        return (free,)

    @staticmethod
    def threshold(free):
        return False

    @staticmethod
    def reset(free):
        return (free,)
