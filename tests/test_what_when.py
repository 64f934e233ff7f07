"""The what-when paradigm end to end on a small config: learning, metrics, file, figures, notebook."""
from pathlib import Path

import numpy as np
import pytest

import spikesim
from spikesim.paradigms import ConfigError, get

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"n_neurons": "400", "levels": "3", "grid_trials": "40", "grid_test_trials": "[1,40]",
         "n_probes": "2", "trials_per_block": "20", "switch_test_every": "4", "pca_levels": "[0.5]",
         "record_raster_trials": "2"}
METRIC_NAMES = ("r_A", "r_B", "error_trial_1", "peak_time_error_ms", "recovery90_trials",
                "angle_what_when_deg", "angle_random_deg")


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    par = get("what-when")
    cfg = par.make_config("quick", {**SMALL, "seeds": "2"})
    res = par.run(cfg, ["izhikevich-reservoir", "force"], progress=False)
    path = res.save(tmp_path_factory.mktemp("ww") / "result.h5")
    return par, res, path


def test_when_readout_error_decreases_for_every_seed(small_run):
    _, res, _ = small_run
    errors = res.groups["grid"]["izhikevich-reservoir"]["errors"]      # (seeds, levels, tests)
    per_seed = errors.mean(axis=1)
    assert np.all(per_seed[:, -1] < 0.85 * per_seed[:, 0]), per_seed


def test_amplitude_tracks_probability(small_run):
    _, res, _ = small_run
    amp = res.groups["grid"]["izhikevich-reservoir"]["amplitudes"]       # (seeds, levels, 2)
    for a in amp:   # levels p(A) = 0, 0.5, 1: A grows, B shrinks, in every seed
        assert a[0, 0] < a[1, 0] < a[2, 0]
        assert a[0, 1] > a[1, 1] > a[2, 1]
    assert res.metrics["izhikevich-reservoir"]["r_A"] > 0.9
    assert res.metrics["izhikevich-reservoir"]["r_B"] < -0.9


def test_result_file_has_metric_names_and_groups(small_run):
    _, res, path = small_run
    back = spikesim.load(path)
    for model in ("izhikevich-reservoir", "force"):
        for key in METRIC_NAMES:
            assert key in back.metrics[model], (model, key)
        assert np.isfinite(back.metrics[model]["error_trial_1"])
    t, ids = back.spikes("reservoir")
    assert len(t) > 0 and ids.max() < 400
    assert back.config["n_neurons"] == 400


def test_figures_are_written(small_run, tmp_path):
    par, res, _ = small_run
    paths = par.figures(res, tmp_path)
    assert len(paths) == 5
    assert all(Path(p).stat().st_size > 5000 for p in paths)


def test_notebook_executes_on_the_small_run(small_run, tmp_path):
    from notebook_runner import run_notebook
    _, _, path = small_run
    _, text, _ = run_notebook("02_what_when.ipynb", {"WHAT_WHEN_RESULT": path, "WHAT_WHEN_FIGDIR": tmp_path},
                              ROOT / "notebooks", timeout=120)
    assert (tmp_path / "errors.png").exists()
    assert "error_trial_1" in text


@pytest.mark.parametrize("key,value", [("what_window_ms", "400"), ("levels", "1"), ("backend", "gpu"),
                                       ("block_pa", "[0.5,1.5,0.2,0.2]"), ("reservoir", "{bad")])
def test_bad_config_names_the_key(key, value):
    with pytest.raises(ConfigError, match=key):
        get("what-when").make_config("quick", {key: value})


def test_unknown_model_and_reservoir_key():
    par = get("what-when")
    with pytest.raises(ConfigError, match="no model"):
        par.resolve_models("hopfield")
    cfg = par.make_config("quick", {**SMALL, "reservoir": '{"not_a_key": 1}'})
    with pytest.raises(ValueError, match="not_a_key"):
        par.run(cfg, ["izhikevich-reservoir"], progress=False)
