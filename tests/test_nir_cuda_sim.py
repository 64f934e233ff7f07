"""A NIR graph (NIRLeaky, NIRCuba, Pulse and LinearCoupling projections, Delay) on the cuda
backend in numba's CUDA simulator: the same outputs as the reference backend."""
import textwrap

import pytest
from cuda_sim import run_under_simulator


SCRIPT = textwrap.dedent("""
    import sys; sys.path.insert(0, "tests")
    import numpy as np, nir
    from nir_graphs import DT, hand_graph, spikes_in
    from spikesim.interop import nir as snir
    g = hand_graph(seed=6, n_h=4, n_o=2, delay_steps=2)
    x = spikes_in(16, 5, p=0.6, seed=3)
    a, b = snir.run(g, x, DT, backend="cuda"), snir.run(g, x, DT, backend="reference")
    assert a.sum() > 1 and np.array_equal(a, b), (a.sum(), b.sum())
    li = nir.NIRGraph(nodes={"in": nir.Input(np.array([5])), "w": nir.Linear(np.full((3, 5), 0.7)),
                             "li": nir.LI(tau=np.full(3, 0.01), r=np.ones(3), v_leak=np.zeros(3)),
                             "w2": nir.Linear(np.eye(3)), "out": nir.Output(np.array([3]))},
                      edges=[("in", "w"), ("w", "li"), ("li", "w2"), ("w2", "out")])
    a, b = snir.run(li, x, DT, backend="cuda"), snir.run(li, x, DT, backend="reference")
    assert np.abs(b).max() > 0.1 and np.array_equal(a, b)
    print("NIR-CUDASIM-OK")
""")


def test_nir_graph_on_the_cuda_simulator_equals_reference():
    pytest.importorskip("nir")
    proc = run_under_simulator(SCRIPT)
    assert "NIR-CUDASIM-OK" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-3000:]
