"""Result files: round trip, atomic writing, clear errors for foreign files."""
import h5py
import numpy as np
import pytest

import spikesim as ss
from core_networks import lif_delays


def test_round_trip_everything(tmp_path):
    net, T = lif_delays("numba")
    res = net.run(T)
    res.metrics = {"rate": 3.5, "per_method": {"hlop": {"ACC": 0.9, "BWT": -0.013}}, "curve": np.arange(4.0)}
    res.groups = {"accuracy_matrix": {"hlop": np.eye(3)}, "label": "x"}
    path = res.save(tmp_path / "sub" / "run.h5")
    back = ss.load(path)
    assert back.populations == res.populations
    for pop in res.populations:
        if pop in res._spikes:
            for a, b in zip(res.spikes(pop), back.spikes(pop)):
                np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(back.state("exc", "v"), res.state("exc", "v"))
    np.testing.assert_array_equal(back.state_times("exc"), res.state_times("exc"))
    assert back.metrics["per_method"]["hlop"]["BWT"] == -0.013
    np.testing.assert_array_equal(back.metrics["curve"], np.arange(4.0))
    np.testing.assert_array_equal(back.groups["accuracy_matrix"]["hlop"], np.eye(3))
    assert back.groups["label"] == "x"
    assert back.config == res.config
    assert back.meta["backend"] == "numba" and back.meta["numpy_version"] == np.__version__
    assert sorted(p.name for p in path.parent.iterdir()) == ["run.h5"]   # no temporary left


def test_failed_write_leaves_nothing(tmp_path):
    res = ss.Result(metrics={"bad": object()})
    with pytest.raises(TypeError, match="/metrics/bad"):
        res.save(tmp_path / "run.h5")
    assert list(tmp_path.iterdir()) == []


def test_foreign_files_are_rejected(tmp_path):
    txt = tmp_path / "notes.h5"
    txt.write_text("hello")
    with pytest.raises(ValueError, match="not a spikesim result"):
        ss.load(txt)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = 1
    with pytest.raises(ValueError, match="not a spikesim result"):
        ss.load(other)
    with pytest.raises(FileNotFoundError):
        ss.load(tmp_path / "missing.h5")


def test_reserved_group_names():
    with pytest.raises(ValueError, match="reserved"):
        ss.Result(groups={"metrics": {}})
