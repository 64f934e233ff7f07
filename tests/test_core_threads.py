"""The multi-core numba backend: spikes, state and weights bit-identical for every thread count
(short-term plasticity and STDP included), the partition of the synapses, and ``threads=``
checks.

In-process, Numba has ``NUMBA_NUM_THREADS`` threads (the cores of the machine, 2 on CI); a
network with more ring parts than that runs its parts on fewer threads, which exercises the
same partitioned propagation. A subprocess with ``NUMBA_NUM_THREADS=3`` runs ``threads=3``
through the public API.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import spikesim as ss
from core_networks import NETWORKS, assert_same_results
from test_core_plasticity import plastic_network

HERE = Path(__file__).parent


def stp_network(backend="numba", threads=None):
    rng = np.random.default_rng(3)
    net = ss.Network(dt=0.1, seed=1, backend=backend, threads=threads)
    bg = net.add(ss.inputs.Poisson(60, rate_hz=rng.uniform(20, 60, 60)), name="bg")
    lif = net.add(ss.neurons.LIF(50), name="lif")
    W = np.where(rng.random((60, 50)) < 0.3, 8.0, 0.0)
    net.connect(bg, lif, W, delays=rng.uniform(0.1, 3.0, W.shape), synapse=ss.synapses.Exponential(5.0),
                stp=ss.synapses.TsodyksMarkram(U=0.2, tau_d=50.0, tau_f=500.0))
    net.connect(bg, lif, W[:, ::-1], delays=1.0, target="v",
                stp=ss.synapses.TsodyksMarkram(U=0.5, tau_d=100.0, tau_f=20.0))
    net.connect(lif, lif, np.where(rng.random((50, 50)) < 0.2, -1.0, 0.0), delays=rng.uniform(0.1, 2.0, (50, 50)),
                target="v")
    net.record(lif, state="v")
    net.record(bg)
    return net, 100.0


def with_parts(net, k):
    """The network, to be built with ``k`` ring parts (bypassing the thread-count check)."""
    net.threads = k
    return net


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_core_networks_same_for_every_part_count(name):
    results = []
    for k in (1, 2, 3):
        net, T = NETWORKS[name]("numba")
        results.append(with_parts(net, k).run(T))
        assert net._plan.n_parts == k
    for r in results[1:]:
        assert_same_results(results[0], r)


def test_stp_same_for_every_part_count():
    results = []
    for k in (1, 2, 3, 5):
        net, T = stp_network()
        results.append(with_parts(net, k).run(T))
    assert results[0].spikes("lif")[0].size > 20
    for r in results[1:]:
        assert_same_results(results[0], r)


def test_plasticity_same_for_every_part_count():
    out = []
    for k in (1, 2, 3):
        net, p1, p2, T = plastic_network("numba")
        res = with_parts(net, k).run(T)
        out.append((res, net.weights(p1), net.weights(p2)))
    assert not np.array_equal(out[0][1], p1.weights), "the weights should have changed"
    for res, w1, w2 in out[1:]:
        assert_same_results(out[0][0], res)
        np.testing.assert_array_equal(out[0][1], w1)
        np.testing.assert_array_equal(out[0][2], w2)


def test_partition_covers_each_row_once_in_order():
    """Every synapse is in exactly one segment; a segment lies in its row, has one delay and
    one part's cells; the CSR order (hence plan.post, plan.w, ...) does not depend on the part
    count, and within a row synapses onto one cell keep the order of the projections."""
    plans = {}
    for k in (1, 3):
        net, _ = NETWORKS["lif_delays"]("numba")
        with_parts(net, k).run(0.0)
        plans[k] = net._plan
    for name in ("indptr", "post", "w", "delay", "cell", "csr_pos"):
        np.testing.assert_array_equal(getattr(plans[1], name), getattr(plans[3], name), err_msg=name)
    p = plans[3]
    P = p.n_parts
    assert P == 3 and p.part_bounds[0] == 0 and p.part_bounds[-1] == p.ring_cells
    assert np.all(np.diff(p.part_bounds) > 0)
    covered = np.zeros(p.n_synapses, dtype=np.int64)
    for g in range(p.n_total):
        for t in range(P):
            for s in range(p.seg_ptr[g * P + t], p.seg_ptr[g * P + t + 1]):
                a, b = p.seg_lo[s], p.seg_hi[s]
                assert p.indptr[g] <= a < b <= p.indptr[g + 1]
                covered[a:b] += 1
                assert np.all(p.delay[a:b] == p.seg_delay[s])
                assert np.all((p.cell[a:b] >= p.part_bounds[t]) & (p.cell[a:b] < p.part_bounds[t + 1]))
    assert np.all(covered == 1)
    # balanced parts: each holds about a third of the synapses
    per_part = [np.sum((p.cell >= p.part_bounds[t]) & (p.cell < p.part_bounds[t + 1])) for t in range(P)]
    assert max(per_part) < 0.5 * p.n_synapses


def test_threads_argument_checks():
    import numba
    most = numba.config.NUMBA_NUM_THREADS
    assert ss.Network(backend="numba").threads == numba.get_num_threads()
    before = numba.get_num_threads()
    numba.set_num_threads(1)                  # e.g. spikesim sweep's per-point limit
    try:
        assert ss.Network(backend="numba").threads == 1
    finally:
        numba.set_num_threads(before)
    assert ss.Network(backend="numba", threads=1).threads == 1
    assert ss.Network(backend="reference").threads == 1
    with pytest.raises(ValueError, match="NUMBA_NUM_THREADS"):
        ss.Network(backend="numba", threads=most + 1)
    with pytest.raises(ValueError):
        ss.Network(backend="numba", threads=0)
    with pytest.raises(TypeError):
        ss.Network(backend="numba", threads=1.5)
    with pytest.raises(ValueError, match="backend='numba'"):
        ss.Network(backend="reference", threads=2)


_CHILD = r"""
import json, sys, hashlib
sys.path.insert(0, sys.argv[1])
import numpy as np
import numba
from core_networks import NETWORKS
from test_core_threads import stp_network
out = {}
for k in (1, 2, 3):
    for name in ("lif_delays", "stp"):
        if name == "stp":
            net, T = stp_network(threads=k)              # threads= of the public API
        else:
            net, T = NETWORKS[name]("numba")
            net.threads = k
        res = net.run(T)
        h = hashlib.sha1()
        for pop in sorted(res.populations):
            if pop in res._spikes:
                for a in res.spikes(pop):
                    h.update(np.ascontiguousarray(a).tobytes())
            for var in sorted(res._state.get(pop, {})):
                h.update(np.ascontiguousarray(res.state(pop, var)).tobytes())
        out[f"{name}/{k}"] = h.hexdigest()
        out[f"threads/{name}/{k}"] = [net.threads, net._plan.n_parts]
out["layer"] = numba.threading_layer()
print(json.dumps(out))
"""


def test_three_threads_in_a_process_with_three(tmp_path):
    """``threads=1, 2, 3`` under ``NUMBA_NUM_THREADS=3`` (and the workqueue threading layer,
    which every machine has): one hash per network."""
    env = dict(os.environ, NUMBA_NUM_THREADS="3", NUMBA_THREADING_LAYER="workqueue")
    out = subprocess.run([sys.executable, "-c", _CHILD, str(HERE)], capture_output=True, text=True, env=env,
                         timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    h = json.loads(out.stdout.strip().splitlines()[-1])
    assert h["layer"] == "workqueue"
    for name in ("lif_delays", "stp"):
        assert [h[f"threads/{name}/{k}"] for k in (1, 2, 3)] == [[1, 1], [2, 2], [3, 3]]
        assert h[f"{name}/1"] == h[f"{name}/2"] == h[f"{name}/3"]


def test_time_array_current_used_in_place():
    """A float64 C-contiguous (n_steps, n) current is not copied (a read-only view of it)."""
    from spikesim.core.validate import check_current
    arr = np.random.default_rng(0).random((50, 4))
    cur = check_current(arr, 4, "a")
    assert np.shares_memory(cur, arr) and not cur.flags.writeable and arr.flags.writeable
    other = check_current(arr.astype(np.float32), 4, "a")          # another dtype: converted, a copy
    assert not np.shares_memory(other, arr) and other.dtype == np.float64
    net = ss.Network(dt=1.0, backend="numba", threads=1)
    a = net.add(ss.neurons.LIF(4), name="a")
    net.inject(a, arr * 30.0)
    net.record(a, spikes=False, state="v")
    assert net.run(10.0).state("a", "v").shape == (10, 4)


def test_threads_none_chooses_by_size():
    """``threads=None``: one thread per 10,000 neurons or 2,000,000 synapses, at most Numba's
    count (spikesim.core.threads); ``threads=K`` stays K; the count is fixed once built."""
    from spikesim.core.threads import default_threads
    assert default_threads(8, 4_000, 500_000) == 1
    assert default_threads(8, 25_000, 0) == 2
    assert default_threads(8, 100, 7_000_000) == 3
    assert default_threads(2, 1_000_000, 10**9) == 2
    assert default_threads(1, 50_000, 0) == 1
    net, T = NETWORKS["lif_delays"]("numba")
    assert net._auto_threads and net.threads_used == 1
    if net.threads >= 2:
        net2, _ = NETWORKS["lif_delays"]("numba")
        net2.threads = 2
        assert net2.threads_used == 2
        with pytest.raises(ValueError, match="built"):
            net2.threads = 1
        os.environ["SPIKESIM_AUTO_THREADS"] = "0"
        try:
            assert default_threads(net.threads, 10, 10) == net.threads
        finally:
            del os.environ["SPIKESIM_AUTO_THREADS"]
