"""CIFAR binary loaders and event-frame binning on synthetic files."""
import numpy as np
import pytest

from spikesim.io.cifar import cifar10, cifar100, read_records
from spikesim.io.event_frames import event_folder, events_to_frames


def _write_cifar10(folder, n=7, seed=0):
    rng = np.random.default_rng(seed)
    d = folder / "cifar-10-batches-bin"
    d.mkdir(parents=True)
    truth = {}
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        pix = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        np.concatenate([labels[:, None], pix], 1).tofile(d / name)
        truth[name] = (labels, pix)
    return truth


def test_cifar10_binary(tmp_path):
    truth = _write_cifar10(tmp_path)
    s = cifar10(tmp_path)                      # found in the sub-folder
    assert s.x_train.shape == (35, 3, 32, 32) and s.x_test.shape == (7, 3, 32, 32)
    lab, pix = truth["test_batch.bin"]
    assert np.array_equal(s.y_test, lab)
    assert np.allclose(s.x_test[2, 1, 0, :5], pix[2, 1024:1029] / 255.0)   # G plane, first row
    assert s.x_train.dtype == np.float32 and s.x_train.max() <= 1


def test_cifar100_fine_and_coarse(tmp_path):
    rng = np.random.default_rng(1)
    for name in ("train.bin", "test.bin"):
        lab = np.stack([rng.integers(0, 20, 5), rng.integers(0, 100, 5)], 1).astype(np.uint8)
        np.concatenate([lab, rng.integers(0, 256, (5, 3072), dtype=np.uint8)], 1).tofile(tmp_path / name)
    fine, coarse = cifar100(tmp_path), cifar100(tmp_path, coarse=True)
    raw = np.fromfile(tmp_path / "test.bin", np.uint8).reshape(5, -1)
    assert np.array_equal(fine.y_test, raw[:, 1]) and np.array_equal(coarse.y_test, raw[:, 0])


def test_cifar_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="binary"):
        cifar10(tmp_path)
    (tmp_path / "bad.bin").write_bytes(b"\x00" * 100)
    with pytest.raises(ValueError, match="record size"):
        read_records(tmp_path / "bad.bin", 1)


def _events(n, seed, W=6, H=5):
    rng = np.random.default_rng(seed)
    ev = np.zeros(n, dtype=[("x", "<i2"), ("y", "<i2"), ("t", "<i8"), ("p", "<i1")])
    ev["x"], ev["y"] = rng.integers(0, W, n), rng.integers(0, H, n)
    ev["t"] = np.sort(rng.integers(0, 10_000, n))
    ev["p"] = rng.integers(0, 2, n)
    return ev


def test_events_to_frames_counts():
    ev = _events(103, 0)
    for split_by in ("number", "time"):
        f = events_to_frames(ev, (6, 5), 4, split_by)
        assert f.shape == (4, 2, 5, 6) and f.sum() == 103
    f = events_to_frames(ev, (6, 5), 4, "number")
    counts = f.sum(axis=(1, 2, 3))
    assert counts.max() - counts.min() <= 1           # equal event counts per frame
    ft = events_to_frames(ev, (6, 5), 4, "time")
    t = ev["t"]
    assert ft[0].sum() == np.sum(t < t.min() + (t.max() - t.min()) / 4)
    e0 = ev[0]
    assert f[0, int(e0["p"]), int(e0["y"]), int(e0["x"])] >= 1
    with pytest.raises(ValueError, match="fields"):
        events_to_frames(np.zeros(3), (6, 5), 4)
    with pytest.raises(ValueError, match="sensor_size"):
        events_to_frames(ev, (3, 3), 4)


def test_event_folder(tmp_path):
    for c in ("a", "b"):
        (tmp_path / c).mkdir()
        for i in range(10):
            np.save(tmp_path / c / f"{i:02d}.npy", _events(50, i))
    s = event_folder(tmp_path, T=3, sensor_size=(6, 5))
    assert s.x_train.shape == (18, 3, 2, 5, 6) and s.x_test.shape == (2, 3, 2, 5, 6)
    assert sorted(s.y_test.tolist()) == [0, 1]
