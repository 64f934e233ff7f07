"""Torch layers on norse (time-first ``(T, B, ...)``): spiking neurons (Spikformer's LIF, the
fused LIF, HLOP's DSR neuron), the heterogeneous-delay layer, the Spikformer blocks and stems,
the HLOP subspace module. The published networks built from them and their lowerings onto the
core are in :mod:`spikesim.models`, training loops in :mod:`spikesim.train`, ANN comparators in
:mod:`spikesim.models.adapters` (the Spikformer V1 / V2 networks: :mod:`spikesim.models.spikformer`,
:mod:`spikesim.models.spikformer_v2`)."""
