"""Results out to NWB (pynwb) and neo; spike statistics equal Elephant's."""
import json

import numpy as np
import pytest

import spikesim as ss
from spikesim.analysis import spike_stats


@pytest.fixture(scope="module")
def result():
    net = ss.Network(dt=0.1, seed=3, backend="numba")
    net.add(ss.inputs.Poisson(20, 40.0), "poisson")
    net.add(ss.neurons.LIF(12), "exc")
    net.connect("poisson", "exc", np.random.default_rng(0).uniform(0, 6, (20, 12)))
    net.record("poisson")
    net.record("exc", spikes=True, state=("v",), every=5)
    res = net.run(500.0)
    assert res.spikes("exc")[0].size > 20 and res.spikes("poisson")[0].size > 100
    return res


def test_nwb_file_opens_with_pynwb_and_holds_every_spike(result, tmp_path):
    pynwb = pytest.importorskip("pynwb")
    path = result.to_nwb(tmp_path / "run.nwb", units={"v": "mV"})
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        f = io.read()
        units = f.units.to_dataframe()
        total = 0
        for pop in ("poisson", "exc"):
            t, ids = result.spikes(pop)
            rows = units[units["population"] == pop]
            total += sum(len(s) for s in rows["spike_times"])
            for _, row in rows.iterrows():
                np.testing.assert_array_equal(np.asarray(row["spike_times"]),
                                              np.sort(t[ids == row["neuron_id"]]) * 1e-3)
            assert set(rows["neuron_id"]) == set(ids.tolist())
        assert total == result.spikes("poisson")[0].size + result.spikes("exc")[0].size
        ts = f.processing["spikesim"]["exc.v"]
        np.testing.assert_array_equal(ts.data[:], result.state("exc", "v"))
        np.testing.assert_allclose(ts.timestamps[:], result.state_times("exc") * 1e-3)
        assert ts.unit == "mV"
        notes = json.loads(f.notes)
        assert notes["config"]["seed"] == 3 and notes["meta"]["backend"] == "numba"
        assert json.loads(f.scratch["spikesim_meta"].data)["dt"] == 0.1


def test_neo_block_spike_trains_equal_the_results_spikes(result):
    pytest.importorskip("neo")
    import quantities as pq
    from spikesim.io.neo import spike_trains
    block = result.to_neo(n_neurons={"exc": 12}, units={"v": "mV"})
    for pop in ("poisson", "exc"):
        t, ids = result.spikes(pop)
        trains = spike_trains(block, pop)
        for k, st in trains.items():
            np.testing.assert_array_equal(st.rescale(pq.ms).magnitude, np.sort(t[ids == k]))
        assert sum(len(st) for st in trains.values()) == t.size
    assert len(spike_trains(block, "exc")) == 12
    sig = next(s for s in block.segments[0].analogsignals if s.name == "exc.v")
    np.testing.assert_array_equal(sig.magnitude, result.state("exc", "v"))
    assert sig.units == pq.mV and float(sig.sampling_period.rescale(pq.ms)) == pytest.approx(0.5)


def test_cv_fano_and_correlation_equal_elephant(result):
    pytest.importorskip("elephant")
    import quantities as pq
    from elephant.conversion import BinnedSpikeTrain
    from elephant.spike_train_correlation import correlation_coefficient
    from elephant.statistics import cv, fanofactor, isi
    t, ids = result.spikes("poisson")
    n = 20
    block = result.to_neo(n_neurons={"poisson": n})
    from spikesim.io.neo import spike_trains
    trains = [spike_trains(block, "poisson")[k] for k in range(n)]
    ours = spike_stats.isi_cv(t, ids, n)
    theirs = np.array([cv(isi(st)) if len(st) >= 3 else np.nan for st in trains])
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, equal_nan=True)
    assert spike_stats.fano_factor(t, ids, n) == pytest.approx(fanofactor(trains), rel=1e-12)
    corr = spike_stats.count_correlation(t, ids, n, bin_ms=10.0, t_start=0.0, t_stop=500.0)
    ref = correlation_coefficient(BinnedSpikeTrain(trains, bin_size=10.0 * pq.ms, t_start=0 * pq.ms,
                                                   t_stop=500 * pq.ms))
    np.testing.assert_allclose(corr, ref, rtol=1e-10, atol=1e-12)


def test_missing_optional_package_says_which_extra(monkeypatch):
    import builtins
    real = builtins.__import__

    def fake(name, *a, **k):
        if name.split(".")[0] == "pynwb":
            raise ImportError("no pynwb")
        return real(name, *a, **k)
    monkeypatch.setattr(builtins, "__import__", fake)
    import sys
    monkeypatch.delitem(sys.modules, "pynwb", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'spikesim\[nwb\]'"):
        ss.Result(spikes={"a": ([1.0], [0])}).to_nwb("/tmp/never.nwb")
