"""The numba loop lists a step's spikes 64 neurons at a time (a bit mask per block, then its set
bits in order): the ids at block edges, full blocks, a last partial block and several ring parts
give the reference's spikes, in ascending order within each step."""
import numpy as np
import pytest

import spikesim as ss
from core_networks import assert_same_results
from test_core_threads import with_parts

EDGES = [0, 1, 62, 63, 64, 65, 127, 128, 129, 190, 191, 192, 199]


def network(backend):
    rng = np.random.default_rng(7)
    net = ss.Network(dt=0.1, seed=3, backend=backend)
    v_all = np.full(200, -40.0)                              # above threshold: all 200 spike at step 0
    everyone = net.add(ss.neurons.LIF(200, v=v_all), name="all")
    v_edge = np.full(200, -70.0)
    v_edge[EDGES] = -40.0
    edges = net.add(ss.neurons.LIF(200, v=v_edge), name="edges")
    busy = net.add(ss.neurons.LIF(197, v=rng.uniform(-70.0, -50.0, 197)), name="busy")   # 3 blocks + 5
    net.inject(everyone, rng.uniform(0.0, 3.0, 200))
    net.inject(busy, rng.uniform(1.0, 30.0, 197))
    net.connect(busy, edges, np.where(rng.random((197, 200)) < 0.05, 4.0, 0.0), delays=0.5, target="v")
    for p in (everyone, edges, busy):
        net.record(p)
    return net


def test_first_step_lists_the_ids_that_start_above_threshold():
    r = network("numba").run(0.1)
    t, i = r.spikes("all")
    assert np.array_equal(i, np.arange(200)) and np.all(t == t[0])
    t, i = r.spikes("edges")
    assert np.array_equal(i, EDGES)


@pytest.mark.parametrize("parts", [1, 2, 3])
def test_same_spikes_as_the_reference(parts):
    ref = network("reference").run(30.0)
    got = with_parts(network("numba"), parts).run(30.0)
    assert_same_results(ref, got)
    t, i = got.spikes("busy")
    steps, counts = np.unique(t, return_counts=True)
    assert t.size > 150 and (counts > 1).sum() > 20          # many steps with several spikes
    for step in steps:
        ids = i[t == step]
        assert np.all(np.diff(ids) > 0)
