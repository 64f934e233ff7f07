"""The Numba CPU backend against the NumPy reference: identical spikes and state, bit for bit."""
import numpy as np
import pytest

from core_networks import NETWORKS, assert_same_results


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_numba_equals_reference(name):
    net_ref, T = NETWORKS[name]("reference")
    net_nb, _ = NETWORKS[name]("numba")
    ref = net_ref.run(T)
    nb = net_nb.run(T)
    total = sum(len(ref.spikes(p)[0]) for p in ref.populations if p in ref._spikes)
    assert total > 50, "the test network should be active"
    assert_same_results(ref, nb)
    assert net_ref.last_run_stats["synaptic_events"] == net_nb.last_run_stats["synaptic_events"] > 0


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_same_seed_same_result_and_continuation(backend):
    """Two runs of the same seed agree bit for bit; running T as T/2 + T/2 gives the same spikes."""
    a, T = NETWORKS["lif_delays"](backend)
    b, _ = NETWORKS["lif_delays"](backend)
    ra = a.run(T)
    r1 = b.run(T / 2)
    r2 = b.run(T / 2)
    for pop in ("exc", "inh", "bg"):
        t_all = np.concatenate([r1.spikes(pop)[0], r2.spikes(pop)[0]])
        i_all = np.concatenate([r1.spikes(pop)[1], r2.spikes(pop)[1]])
        np.testing.assert_array_equal(ra.spikes(pop)[0], t_all)
        np.testing.assert_array_equal(ra.spikes(pop)[1], i_all)
    v_all = np.concatenate([r1.state("exc", "v"), r2.state("exc", "v")])
    np.testing.assert_array_equal(ra.state("exc", "v"), v_all)
    np.testing.assert_array_equal(ra.state_times("exc"), np.concatenate([r1.state_times("exc"), r2.state_times("exc")]))


def test_seed_changes_poisson_stream():
    import spikesim as ss
    spikes = []
    for seed in (1, 2):
        net = ss.Network(dt=0.1, seed=seed, backend="numba")
        bg = net.add(ss.inputs.Poisson(100, 50.0), name="bg")
        net.record(bg)
        spikes.append(net.run(500.0).spikes("bg"))
    assert not np.array_equal(spikes[0][0], spikes[1][0])
    for t, _ in spikes:   # 100 sources x 50 Hz x 0.5 s = 2500 expected, sd 50
        assert 2300 < t.size < 2700


def test_spike_buffer_growth_keeps_every_spike():
    """More spikes than the initial buffer holds: the loop returns, the buffer grows, nothing is lost."""
    import spikesim as ss
    net = ss.Network(dt=0.1, seed=0, backend="numba")
    lif = net.add(ss.neurons.LIF(3000, t_ref=0.0), name="lif")
    net.inject(lif, 400.0)   # fires every few steps
    net.record(lif)
    res = net.run(100.0)
    counts = np.bincount(res.spikes("lif")[1], minlength=3000)
    assert res.spikes("lif")[0].size > (1 << 16)
    assert np.all(counts == counts[0])
