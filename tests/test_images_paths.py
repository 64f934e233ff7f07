"""The paradigm's CIFAR and event-dataset paths, end to end on tiny synthetic files (the full
recipe's augmentations: flips, random erasing, Mixup; event frames [B, T, 2, H, W])."""
import numpy as np
import pytest

from spikesim.paradigms import get

TINY = {"depth": "1", "dim": "16", "heads": "2", "epochs": "2", "batch_size": "8", "threads": "1",
        "device": "cpu", "warmup_epochs": "0.5"}


def _cifar_files(folder, n=24, seed=0):
    rng = np.random.default_rng(seed)
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        lab = rng.integers(0, 10, n, dtype=np.uint8)
        np.concatenate([lab[:, None], rng.integers(0, 256, (n, 3072), dtype=np.uint8)], 1).tofile(folder / name)


def test_cifar10_recipe_path(tmp_path):
    _cifar_files(tmp_path)
    p = get("images")
    cfg = p.make_config("cifar10", dict(TINY, data_dir=str(tmp_path), mixup_off_epoch="1", n_test="16"))
    assert cfg.hflip and cfg.random_erasing == 0.25 and cfg.mixup_alpha == 0.5
    res = p.run(cfg, ["spikformer", "vit"], progress=False)
    for m in ("spikformer", "vit"):
        assert np.isfinite(res.metrics[m]["accuracy"]) and res.metrics[m]["energy_mj_per_image"] > 0
        assert len(res.groups["accuracy_curve"][m]["epoch"]) == 2
    assert res.meta["n_train"] == 120 and res.meta["n_test"] == 16
    assert res.groups["attention"]["spikformer"].shape == (1, 64, 64)     # 32x32 -> 8x8 tokens


def test_event_dataset_path(tmp_path):
    rng = np.random.default_rng(1)
    dt = [("x", "<i2"), ("y", "<i2"), ("t", "<i8"), ("p", "<i1")]
    for c, (x0, x1) in enumerate([(0, 6), (10, 16)]):         # two classes: events left / right
        d = tmp_path / f"class{c}"
        d.mkdir()
        for i in range(30):
            ev = np.zeros(300, dtype=dt)
            ev["x"], ev["y"] = rng.integers(x0, x1, 300), rng.integers(0, 16, 300)
            ev["t"], ev["p"] = np.sort(rng.integers(0, 1000, 300)), rng.integers(0, 2, 300)
            np.save(d / f"{i}.npy", ev)
    p = get("images")
    cfg = p.make_config("quick", dict(TINY, dataset="events", data_dir=str(tmp_path), T="3", pools="1100",
                                      epochs="3", lr="0.005", batch_size="6"))
    res = p.run(cfg, ["spikformer", "vit"], progress=False)
    assert res.meta["n_train"] == 54 and res.meta["n_test"] == 6
    snn = res.metrics["spikformer"]
    assert 0 < snn["mean_firing_rate"] < 1 and snn["sops_per_image"] > 0
    # the two classes are trivially separable by position: the ANN gets them
    assert res.metrics["vit"]["best_accuracy"] == 1.0
    assert res.groups["attention"]["spikformer"].shape == (1, 16, 16)   # 16x16 sensor -> 4x4 tokens


def test_missing_files_clear_error(tmp_path):
    p = get("images")
    with pytest.raises(FileNotFoundError, match="CIFAR"):
        p.run(p.make_config("cifar10", dict(TINY, data_dir=str(tmp_path / "nope"))), ["vit"], progress=False)
