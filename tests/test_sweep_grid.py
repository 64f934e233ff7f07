"""Sweep points without dask: grid parsing, expansion, config hashes, bad input, the table's
metric flattening and the report."""
import dataclasses
import json

import numpy as np
import pytest

from spikesim.core.result import Result
from spikesim.paradigms import Paradigm
from spikesim.sweep import aggregate, runner
from spikesim.sweep.aggregate import SHARED, flatten_metrics
from spikesim.sweep.grid import SweepError, config_hash, expand, parse_grid_args, parse_seeds
from spikesim.sweep.report import draw_curves, format_table
from spikesim.sweep.runner import SweepRun, default_threads, run_point, thread_env

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


# -- aggregation and report without dask: points run in this process ---------------------------
@dataclasses.dataclass
class LinConfig:
    x: float = 1.0
    mode: str = "up"
    seed: int = 0


class Lin(Paradigm):
    """Two models whose metrics are known functions of (x, mode, seed)."""

    name = "lin"
    Config = LinConfig
    models = ("a", "b")
    default_models = ("a", "b")

    def run(self, cfg, models, progress=True):
        sign = 1.0 if cfg.mode == "up" else -1.0
        return Result(metrics={"a": {"y": sign * cfg.x + cfg.seed}, "b": {"y": 2 * cfg.x, "curve": np.ones(3)},
                               "gap": cfg.x}, config=dataclasses.asdict(cfg))


LIN = Lin()


def test_table_and_report_from_point_folders(tmp_path, monkeypatch):
    # run_point caps the threads of the process it runs in; keep this pytest process as it is
    monkeypatch.setattr(runner, "apply_thread_limits", lambda threads: None)
    spec = expand("test_sweep_grid:LIN", {"x": [1, 2], "mode": ["up", "down"]}, 2)
    run = SweepRun(spec, tmp_path)
    for p in spec.points:
        assert run_point(p.task(spec), str(tmp_path))["status"] == "done"
        run.ran.append(p.hash)
    table = aggregate.write(run)
    back = aggregate.load(tmp_path)
    assert len(table) == len(back) == 8 * 3  # a/y, b/y and the shared gap per point (arrays left out)
    for t in (table, back):
        a = t.metric("y", "a")
        assert np.array_equal(a["value"], np.where(a["mode"] == "up", 1.0, -1.0) * a["x"] + a["seed"])
        assert set(t.columns["model"]) == {"a", "b", SHARED}
    assert list(back.points["status"]) == ["done"] * 8
    text = format_table(back)
    assert "8/8 points done" in text and "-1.5" in text  # mean over seeds 0, 1 of -1 + seed
    paths = draw_curves(back, tmp_path / "report")
    assert sorted(p.name for p in paths) == ["a__y.png", "b__y.png", "shared__gap.png"]
    assert all(p.stat().st_size > 5000 for p in paths)


def test_thread_defaults():
    assert default_threads(2, cores=2) == 1 and default_threads(1, cores=4) == 4 and default_threads(3, cores=2) == 1
    assert set(thread_env(2).values()) == {"2"} and "NUMBA_NUM_THREADS" in thread_env(2)


@pytest.mark.parametrize("name", __import__("spikesim.paradigms", fromlist=["names"]).names())
def test_every_paradigm_can_be_swept(name):
    """Issue 13, item 4: every paradigm's config is a plain serialisable value with a seed."""
    spec = expand(name, {}, 2)
    assert len({p.hash for p in spec.points}) == 2
    for p in spec.points:
        assert json.loads(json.dumps(p.config)) == p.config
        json.dumps(p.task(spec))  # what a worker receives: builtins only
