"""Paradigm `motion` end to end on a tiny configuration, the result layout, and the notebook."""

import numpy as np
import pytest

import spikesim as ss
from spikesim.paradigms import ConfigError, get

# small but trained enough to be well above chance (checked over seeds, see test_tiny_run_learns)
TINY = {"n_x": "24", "n_y": "24", "n_t": "32", "kernel_t": "9", "kernel_x": "7", "n_train_movies": "40",
        "n_train_steps": "100", "lr": "3e-3", "n_test": "36", "mc_n_test": "6", "mc_n_values": "2",
        "n_prune_levels": "5", "ann_curves": "true", "ann_lr": "3e-3"}


@pytest.fixture(scope="module")
def tiny_result(tmp_path_factory):
    paradigm = get("motion")
    cfg = paradigm.make_config("quick", TINY)
    res = paradigm.run(cfg, paradigm.resolve_models("all"), progress=False)
    path = res.save(tmp_path_factory.mktemp("motion") / "result.h5")
    return path


def test_result_layout_and_metrics(tiny_result):
    res = ss.load(tiny_result)
    for model in ("hd-snn", "hd-snn-event", "ann-frames"):
        m = res.metrics[model]
        for key in ("accuracy", "accuracy_band_low", "accuracy_band_high", "sops_per_movie"):
            assert key in m, (model, key)
        assert 0 <= m["accuracy_band_low"] <= m["accuracy"] <= m["accuracy_band_high"] <= 1
        rows = res.groups["curves"][model]["prune"]
        assert rows.ndim == 2 and rows.shape[1] == 2 and np.all((rows[:, 0] > 0) & (rows[:, 0] <= 1))
    for model in ("hd-snn", "ann-frames"):
        assert {"prune_half_saturation", "shorten_half_saturation"} <= set(res.metrics[model])
        assert res.groups["curves"][model]["prune"].shape == (5, 2)
        assert res.groups["curves"][model]["shorten"].shape == (9, 2)
    # the event-driven lowering makes the decisions of the dense pass with the same (pruned) weights
    ev = res.metrics["hd-snn-event"]
    assert ev["agreement_with_dense"] == 1.0
    # synaptic operations from the core's counter: one per synapse of each event, i.e. per non-zero
    # weight met (both sets of the ON/OFF max) whose target lies in the frame: at most events x
    # non-zero weights (tests/test_hdsnn_core.py checks the exact count)
    full = ev["kept_fraction"] * res.metrics["hd-snn"]["n_weights"]
    assert 0.6 * full < ev["sops_per_event"] < full
    assert ev["lowering_seconds"] > 0 and ev["wall_seconds_per_movie"] > 0
    sops = res.groups["curves"]["hd-snn-event"]["sops"]
    assert np.all(np.diff(sops[:, 1]) >= 0)
    assert res.groups["kernels"]["hd-snn"].shape == (36, 2, 9, 7, 7)
    t, i = res.spikes("hd-snn")
    assert len(t) > 0 and np.all(np.diff(t) >= 0)
    assert set(res.groups["mc_scans"]["hd-snn"]["sf_0"]) == {"values", "aperture", "perpend"}
    assert res.config["n_x"] == 24


def test_tiny_run_learns(tiny_result):
    """100 training steps on 40 small movies: the HD-SNN is far above chance (1/36) on held-out
    constant-motion movies drawn from another image, and pruning to 1e-4 destroys that."""
    res = ss.load(tiny_result)
    m = res.metrics["hd-snn"]
    assert m["accuracy_band_low"] > 3 / 36
    prune = res.groups["curves"]["hd-snn"]["prune"]
    assert prune[0, 1] < m["accuracy"]
    assert m["final_loss"] < np.log(36)


def test_figures(tiny_result, tmp_path):
    paradigm = get("motion")
    paths = paradigm.figures(ss.load(tiny_result), tmp_path)
    names = {p.name for p in paths}
    assert {"motion_accuracy.png", "motion_prune.png", "motion_shorten.png", "motion_kernels.png",
            "motion_events.png"} <= names
    assert all(p.stat().st_size > 1000 for p in paths)


def test_notebook_executes(tiny_result, tmp_path):
    from notebook_runner import run_notebook

    _, text, _ = run_notebook("03_motion_delays.ipynb", {"SPIKESIM_MOTION_RESULT": tiny_result}, tmp_path)
    assert "hd-snn/accuracy" in text


def test_config_errors():
    paradigm = get("motion")
    with pytest.raises(ConfigError, match="kernel"):
        paradigm.make_config("quick", {"kernel_x": "4"})
    with pytest.raises(ConfigError, match="mc_scans"):
        paradigm.make_config("quick", {"mc_scans": "sf_0,bogus"})
    with pytest.raises(ConfigError, match="drop_frames"):
        paradigm.make_config("quick", {"n_t": "10", "kernel_t": "11"})
    with pytest.raises(ConfigError, match="loss"):
        paradigm.make_config("quick", {"loss": "mse"})
    with pytest.raises(ConfigError, match="event_dtype"):
        paradigm.make_config("quick", {"event_dtype": "float16"})
    assert paradigm.make_config("quick", {"event_dtype": "float32"}).event_dtype == "float32"
    with pytest.raises(ConfigError, match="model"):
        paradigm.resolve_models("hd-snn,nope")
    full = paradigm.make_config("full")
    assert (full.n_x, full.n_t, full.kernel_t, full.kernel_x) == (128, 200, 21, 17)
