"""The CUDA event-driven SSA kernel equals the CPU kernel (output, accumulation count, order),
under the numba-cuda simulator (a subprocess with NUMBA_ENABLE_CUDASIM=1), and on a real GPU
when there is one (marked ``gpu``)."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent("""
    import numpy as np
    from spikesim.backends.numba_cuda.ssa import ssa_event_cuda
    from spikesim.backends.numba_cpu.ssa import ssa_event
    rng = np.random.default_rng(0)
    bad = 0
    for shape, rates in [((3, 7, 5), (0.1, 0.1, 0.1)), ((2, 2, 9, 4), (0.6, 0.3, 0.5)), ((2, 3, 12), (0.2, 0.05, 0.4))]:
        q, k, v = [(rng.random(shape) < r).astype(np.float32) for r in rates]
        for order in ("auto", "q_ktv", "qkt_v"):
            a, b = ssa_event_cuda(q, k, v, 0.125, order), ssa_event(q, k, v, 0.125, order)
            ok = np.array_equal(a[0], b[0]) and a[1] == b[1] and np.array_equal(a[2], b[2]) and a[0].any()
            bad += not ok
    try:
        ssa_event_cuda(np.zeros((1, 65, 4)), np.zeros((1, 65, 4)), np.zeros((1, 65, 4)))
        bad += 1
    except ValueError as e:
        bad += "N <= 64" not in str(e)
    print("MISMATCHES", bad)
""")


def test_cuda_ssa_equals_cpu_under_simulator():
    pytest.importorskip("numba_cuda", reason="numba-cuda is not installed")
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "MISMATCHES 0" in proc.stdout, proc.stdout + proc.stderr[-2000:]


@pytest.mark.gpu
def test_cuda_ssa_equals_cpu_on_gpu():
    from numba import cuda
    if not cuda.is_available():
        pytest.skip("no CUDA GPU")
    ns = {}
    exec(SCRIPT.replace('print("MISMATCHES", bad)', "RESULT = bad"), ns)
    assert ns["RESULT"] == 0
