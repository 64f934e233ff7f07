"""Paradigm ``images``: a tiny end-to-end run of Spikformer and the ViT (sklearn digits), the
result file, the figures, the notebook, and the config errors."""
from pathlib import Path

import numpy as np
import pytest

import spikesim
from spikesim.paradigms import ConfigError, get

ROOT = Path(__file__).resolve().parents[1]
TINY = {"threads": "1", "device": "cpu"}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    import torch
    torch.set_num_threads(1)
    p = get("images")
    cfg = p.make_config("digits", TINY)
    res = p.run(cfg, p.resolve_models(None), progress=False)
    out = tmp_path_factory.mktemp("images")
    path = res.save(out / "result.h5")
    return p, res, path, out


def test_both_models_far_above_chance(tiny_run):
    _, res, _, _ = tiny_run
    for m in ("spikformer", "vit"):
        acc = res.metrics[m]["accuracy"]
        assert 0.0 <= acc <= 1.0
        assert acc > 0.6, f"{m} accuracy {acc:.3f} not far above chance (0.1)"


def test_metrics_and_groups_in_file(tiny_run):
    _, res, path, _ = tiny_run
    r = spikesim.load(path)
    for m in ("spikformer", "vit"):
        for key in ("accuracy", "sops_per_image", "energy_mj_per_image", "mean_firing_rate"):
            assert key in r.metrics[m]
        assert r.metrics[m]["accuracy"] == pytest.approx(res.metrics[m]["accuracy"])
        assert len(r.groups["accuracy_curve"][m]["test_accuracy"]) == res.config["epochs"]
        assert r.groups["attention"][m].ndim == 3
    snn, ann = r.metrics["spikformer"], r.metrics["vit"]
    assert 0 < snn["mean_firing_rate"] < 1
    assert snn["sops_per_image"] > 0 and ann["sops_per_image"] == 0
    rates = r.groups["firing_rate"]["spikformer"]["rate"]
    assert np.all((rates >= 0) & (rates <= 1)) and len(rates) == 5 + 7 * res.config["depth"]
    # energy = 4.6 pJ x MACs + 0.9 pJ x SOPs, in mJ
    for m in (snn, ann):
        assert m["energy_mj_per_image"] == pytest.approx((4.6 * m["macs_per_image"] + 0.9 * m["sops_per_image"]) * 1e-9)
    # the SNN spends only its first conv (x T) and the head on MACs: far fewer than the ANN
    assert snn["macs_per_image"] < ann["macs_per_image"]


def test_figures_and_summary(tiny_run):
    p, res, _, out = tiny_run
    paths = p.figures(res, out)
    assert len(paths) == 4 and all(Path(x).stat().st_size > 5000 for x in paths)
    rows = dict(p.summary(res))
    assert "spikformer/accuracy" in rows and "vit/energy_mj_per_image" in rows


def test_notebook_reproduces_figures(tiny_run):
    from notebook_runner import run_notebook
    _, _, path, out = tiny_run
    _, text, images = run_notebook("05_spikformer.ipynb", {"SPIKESIM_RESULT": path}, out, timeout=120)
    assert "sops_per_image" in text and "accuracy gap" in text
    assert images == 4


@pytest.mark.parametrize("over, match", [
    ({"dataset": "imagenet"}, "dataset"),
    ({"dataset": "cifar10"}, "data_dir"),
    ({"pools": "12"}, "pools"),
    ({"dim": "100", "heads": "3"}, "multiple"),
    ({"depth": "0"}, "depth"),
    ({"nonsense": "1"}, "no config key"),
])
def test_config_errors(over, match):
    with pytest.raises(ConfigError, match=match):
        get("images").make_config("quick", over)


def test_models_and_presets():
    p = get("images")
    assert p.resolve_models(None) == ["spikformer", "vit"]
    with pytest.raises(ConfigError):
        p.resolve_models("resnet")
    c = p.make_config("cifar10", {"data_dir": "/x"})
    assert (c.depth, c.dim, c.heads, c.T, c.pools, c.lr, c.batch_size) == (4, 384, 12, 4, "0011", 5e-4, 128)


def test_config_takes_the_training_recipe_once():
    """The recipe's fields are inherited, not restated: the quick config's recipe is the
    recipe's defaults, ``--set`` reaches every recipe field, and a preset passes through."""
    import dataclasses

    from spikesim.paradigms.images import ImagesConfig
    from spikesim.paradigms.images.config import recipe
    from spikesim.train import TrainRecipe

    recipe_fields = {f.name for f in dataclasses.fields(TrainRecipe)}
    assert not recipe_fields & set(ImagesConfig.__dict__.get("__annotations__", {}))
    assert recipe(ImagesConfig()) == TrainRecipe()
    p = get("images")
    assert recipe(p.make_config("quick", {"eval_batch": "32", "lr": "1e-4"})) == \
        TrainRecipe(eval_batch=32, lr=1e-4)
    assert recipe(p.make_config("cifar10", {"data_dir": "/x"})).mixup_alpha == 0.5
