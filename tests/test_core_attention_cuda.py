"""The core's attention on the cuda backend equals the numba backend (delivered currents, LIF
spikes and state, accumulation and order counts), under the numba-cuda simulator (a subprocess
with NUMBA_ENABLE_CUDASIM=1), and on a real GPU when there is one (marked ``gpu``)."""
import textwrap

import pytest
from cuda_sim import run_under_simulator


SCRIPT = textwrap.dedent("""
    import numpy as np
    import spikesim as ss
    from tests.attention_networks import attention_net, dense, run_attention
    rng = np.random.default_rng(0)
    bad = 0
    for (T, N, D, h), rates in [((3, 5, 6, 2), (0.3, 0.4, 0.5)), ((2, 7, 4, 1), (0.1, 0.6, 0.3))]:
        q, k, v = [(rng.random((T, N, D)) < r) for r in rates]
        for order in ("auto", "q_ktv", "qkt_v"):
            a, b = run_attention(q, k, v, h, "cuda", order=order), run_attention(q, k, v, h, "numba", order=order)
            bad += not (np.array_equal(a[0], b[0]) and a[1:] == b[1:] and np.array_equal(a[0], dense(q, k, v, h))
                        and a[0].any())
    q, k, v = [(rng.random((5, 4, 6)) < 0.5) for _ in range(3)]
    out = []
    for backend in ("cuda", "numba"):
        net, at, tgt = attention_net(q, k, v, 2, backend, scale=1.0, delay=2.0,
                                     target=ss.neurons.LIF(24, tau_m=2.0, v_rest=0.0, v_reset=0.0, v_th=0.5, t_ref=0.0))
        net.record(tgt, spikes=True, state="v")
        res = net.run(8.0)
        out.append((res.spikes("y"), res.state("y", "v"), net.attention_ops()))
    (ta, ia), va, oa = out[0]
    (tb, ib), vb, ob = out[1]
    bad += not (np.array_equal(ta, tb) and np.array_equal(ia, ib) and np.array_equal(va, vb) and oa == ob and ta.size)
    try:
        big = np.zeros((1, 65, 2), bool)
        run_attention(big, big, big, 1, "cuda")
        bad += 1
    except ValueError as e:
        bad += "tokens <= 64" not in str(e)
    print("MISMATCHES", bad)
""")


def test_cuda_attention_equals_numba_under_simulator():
    proc = run_under_simulator(SCRIPT)
    assert "MISMATCHES 0" in proc.stdout, proc.stdout + proc.stderr[-2000:]


@pytest.mark.gpu
def test_cuda_attention_equals_numba_on_gpu():
    from numba import cuda
    if not cuda.is_available():
        pytest.skip("no CUDA GPU")
    ns = {}
    exec(SCRIPT.replace('print("MISMATCHES", bad)', "RESULT = bad"), ns)
    assert ns["RESULT"] == 0
