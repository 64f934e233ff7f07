"""Input arrays that already have the dtype and layout the kernels read are used in place (a
read-only view, no copy; the caller's array stays writable): currents and Poisson rates over
time; others are converted. The results are those of a converted copy."""
import numpy as np

import spikesim as ss
from spikesim.core.validate import check_current


def source_net(src, rate=None):
    net = ss.Network(dt=0.5, seed=3, backend="numba", threads=1)
    s = net.add(src, name="s")
    lif = net.add(ss.neurons.LIF(5), name="lif")
    net.connect(s, lif, np.full((src.n, 5), 9.0), delays=1.0, target="v")
    if rate is not None:
        p = net.add(ss.inputs.Poisson(5, rate_hz=rate), name="p")
        net.connect(p, lif, np.eye(5) * 12.0, delays=0.5, target="v")
    net.record(lif)
    return net


def test_spike_source_sorted_or_not_same_results():
    """A schedule already ordered by (step, id) skips the sort at build; it is a frozen copy
    (test_hostile_input: ids changed later cannot reach a kernel)."""
    rng = np.random.default_rng(0)
    times = np.sort(rng.uniform(0, 40, 200))
    ids = rng.integers(0, 8, 200)
    src = ss.inputs.SpikeSource(8, times, ids)
    assert not np.shares_memory(src.ids, ids)
    shuffled = rng.permutation(200)                # an unordered schedule: sorted at build
    other = ss.inputs.SpikeSource(8, times[shuffled], ids[shuffled])
    nets = [source_net(x) for x in (src, other)]
    r = [n.run(50.0).spikes("lif") for n in nets]
    assert r[0][0].size > 0
    np.testing.assert_array_equal(r[1][0], r[0][0])
    np.testing.assert_array_equal(r[1][1], r[0][1])
    for a in ("src_step", "src_gid"):
        np.testing.assert_array_equal(getattr(nets[0]._plan, a), getattr(nets[1]._plan, a))


def test_poisson_rate_over_time_used_in_place_and_same_results():
    rate = np.ascontiguousarray(np.random.default_rng(1).uniform(0, 200, (100, 5)))
    p = ss.inputs.Poisson(5, rate_hz=rate)
    assert np.shares_memory(p.rate_hz, rate) and not p.rate_hz.flags.writeable and rate.flags.writeable
    assert not np.shares_memory(ss.inputs.Poisson(5, rate_hz=rate[:, ::-1]).rate_hz, rate)   # not contiguous
    src = ss.inputs.SpikeSource(1, [1.0], [0])
    a = source_net(src, rate).run(50.0).spikes("lif")
    b = source_net(src, rate.copy()).run(50.0).spikes("lif")
    assert a[0].size > 0
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_current_over_time_in_place():
    arr = np.random.default_rng(2).random((30, 3))
    assert np.shares_memory(check_current(arr, 3, "x"), arr)
    assert not np.shares_memory(check_current(np.asfortranarray(arr), 3, "x"), arr)
