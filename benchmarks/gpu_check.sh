#!/usr/bin/env bash
# GPU check of the cuda backend, for a machine with an NVIDIA GPU (about 5 minutes on one H200):
#   1. the cuda tests WITHOUT the simulator (tests/test_cuda_backend.py -m gpu: the core networks,
#      bit-exact collision-free network, 10^5 Poisson sources, NaN error, spike-buffer growth);
#   2. benchmarks/core_gpu.py: core networks, per-step floor, sweep up to 10^6 neurons / 10^9
#      synapses, ratio to the numba CPU backend; rows also written to benchmarks/results/core_gpu.json.
# Usage: bash benchmarks/gpu_check.sh [extra core_gpu.py options, e.g. --max-synapses 1e8]
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3
unset NUMBA_ENABLE_CUDASIM
"$PY" - <<'PYEOF'
import sys
from spikesim.backends.numba_cuda.core import unavailable_reason
reason = unavailable_reason()
if reason:
    sys.exit(f"no usable GPU: {reason}")
from numba import cuda
print("GPU:", cuda.get_current_device().name)
PYEOF
start=$(date +%s)
timeout 240 "$PY" -m pytest -q -p no:cacheprovider -m gpu tests/test_cuda_backend.py
echo "gpu tests: $(( $(date +%s) - start )) s"
timeout 420 "$PY" benchmarks/core_gpu.py --out benchmarks/results/core_gpu.json "$@"
echo "gpu_check total: $(( $(date +%s) - start )) s"
