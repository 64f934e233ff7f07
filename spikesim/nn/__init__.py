"""Torch layers on norse (time-first ``(T, B, ...)``): spiking neurons, the heterogeneous-delay
layer, the Spikformer blocks and stems, the HLOP subspace and spiking MLP. Training loops are in
:mod:`spikesim.train`, ANN comparators in :mod:`spikesim.models.adapters`."""
