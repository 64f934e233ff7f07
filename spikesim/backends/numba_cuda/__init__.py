"""CUDA backend (numba-cuda): :mod:`.core` (runner, packing, launches), :mod:`.driver` (the neuron
kernel generated for a network's models), :mod:`.kernels` (the model-independent delivery and
plasticity kernels, buffer layout), :mod:`.strict_fp` (no FMA contraction, so GPU arithmetic
rounds like the CPU's)."""
