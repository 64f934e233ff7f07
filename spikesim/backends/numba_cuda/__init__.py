"""CUDA backend (numba-cuda): :mod:`.core` (runner, packing, launches), :mod:`.kernels` (per-step
kernels), :mod:`.strict_fp` (no FMA contraction, so GPU arithmetic rounds like the CPU's)."""
