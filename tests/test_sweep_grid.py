"""Sweep points without dask: grid parsing, expansion, config hashes, bad input, the table's
metric flattening and the report."""
import json

import numpy as np
import pytest

from spikesim.sweep.aggregate import SHARED, flatten_metrics
from spikesim.sweep.grid import SweepError, config_hash, expand, parse_grid_args, parse_seeds

P = "izhikevich-2003"


def test_grid_times_seeds_and_hashes():
    spec = expand(P, {"thalamic_sd_exc": ["4", "5"], "n_inh": ["100", "200"]}, 3,
                  overrides={"duration": "200"})
    assert len(spec.points) == 2 * 2 * 3
    assert len({p.hash for p in spec.points}) == 12
    first = spec.points[0]
    assert first.params == {"thalamic_sd_exc": 4.0, "n_inh": 100} and first.seed == 0
    assert [p.seed for p in spec.points[:3]] == [0, 1, 2]
    assert first.config["duration"] == 200.0 and first.config["seed"] == 0
    # The hash is of the resolved config: Python values and strings, 4 and 4.0, give one folder.
    again = expand(P, {"thalamic_sd_exc": [4, 5.0], "n_inh": [100, 200]}, [0, 1, 2], overrides={"duration": 200.0})
    assert [p.hash for p in again.points] == [p.hash for p in spec.points]
    # ... and anything that changes the run changes it.
    other = expand(P, {"thalamic_sd_exc": [4, 5.0], "n_inh": [100, 200]}, 3, overrides={"duration": 300.0})
    assert not {p.hash for p in other.points} & {p.hash for p in spec.points}
    assert config_hash(P, ["izhikevich-2003"], first.config) == first.hash
    assert config_hash(P, ["other-model"], first.config) != first.hash
    json.dumps(spec.describe())  # plain JSON


def test_seeds_start_at_the_config_seed_and_seed_only_sweeps():
    spec = expand(P, {}, 2, overrides={"seed": "10"})
    assert [p.seed for p in spec.points] == [10, 11] and all(p.params == {} for p in spec.points)
    assert parse_seeds("3") == 3 and parse_seeds("4,7") == [4, 7]


def test_parse_grid_args():
    assert parse_grid_args(["a=1,2", "b = x"]) == {"a": ["1", "2"], "b": ["x"]}
    for bad in (["a"], ["a="], ["a=1,,2"], ["=1"], ["a=1", "a=2"]):
        with pytest.raises(SweepError):
            parse_grid_args(bad)


@pytest.mark.parametrize("grid, seeds, match", [
    ({"nope": [1]}, 1, "no config key 'nope'"),
    ({"duration": []}, 1, "empty value list"),
    ({"duration": ["abc"]}, 1, "duration"),
    ({"n_exc": [1.5]}, 1, "expected int, got float"),
    ({"n_exc": [True]}, 1, "expected int, got bool"),
    ({"backend": [3]}, 1, "expected str, got int"),
    ({"duration": [-5.0]}, 1, "duration must be > 0"),
    ({"duration": [100.0, 100]}, 1, "given twice"),
    ({"seed": [1, 2]}, 1, "use --seeds"),
    ({"duration": 100.0}, 1, "expected a list"),
    ({}, 0, "seeds must be >= 1"),
    ({}, [1, 1], "repeated"),
    ({}, [], "empty list"),
])
def test_bad_input_names_the_problem(grid, seeds, match):
    with pytest.raises(SweepError, match=match):
        expand(P, grid, seeds)


def test_bad_paradigm_model_preset():
    with pytest.raises(SweepError, match="unknown paradigm"):
        expand("no-such", {}, 1)
    with pytest.raises(SweepError, match="no model"):
        expand(P, {}, 1, models="nope")
    with pytest.raises(SweepError, match="no preset"):
        expand(P, {}, 1, preset="huge")
    with pytest.raises(SweepError, match="cannot import"):
        expand("no_such_module_xyz:PARADIGM", {}, 1)
    with pytest.raises(SweepError, match="also given as a fixed"):
        expand(P, {"duration": [1.0]}, 1, overrides={"duration": "2"})


def test_flatten_metrics_assigns_models():
    one = flatten_metrics({"exc": {"rate_hz": 3.0, "spikes": np.arange(3)}, "n": 7, "name": "x", "ok": True},
                          ["m"])
    assert one == [("m", "exc/rate_hz", 3.0), ("m", "n", 7.0)]
    two = flatten_metrics({"a": {"acc": 0.5}, "b": {"acc": np.float32(0.25)}, "gap": 0.25}, ["a", "b"])
    assert two == [("a", "acc", 0.5), ("b", "acc", 0.25), (SHARED, "gap", 0.25)]
