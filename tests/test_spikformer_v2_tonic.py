"""Event data through tonic: a dataset saved in tonic's layout is read by tonic's reader (never
downloaded), binned by tonic's ToFrame, and tonic's event arrays are accepted by spikesim's
event functions."""
import numpy as np
import pytest

pytest.importorskip("tonic")

from spikesim.io.event_frames import events_to_frames  # noqa: E402
from spikesim.io.events import EVENT_DTYPE, as_events, events_to_tensor  # noqa: E402
from spikesim.io.tonic_data import open_saved, tonic_frames  # noqa: E402
from spikesim.paradigms import ConfigError, get  # noqa: E402


@pytest.fixture(scope="module")
def gesture_root(tmp_path_factory):
    """A miniature DVSGesture in tonic's extracted layout: <root>/DVSGesture/ibmGesture{Train,Test}/
    user<NN>_<lighting>/<label>.npy, rows (x, y, p, t in ms), plus the (here empty) archives."""
    root = tmp_path_factory.mktemp("tonic")
    base = root / "DVSGesture"
    rng = np.random.default_rng(0)
    for split in ("Train", "Test"):
        (base / f"ibmGesture{split}").mkdir(parents=True)
        (base / f"ibmGesture{split}.tar.gz").write_bytes(b"")
        for user in range(10):                    # tonic checks for at least 100 .npy files
            d = base / f"ibmGesture{split}" / f"user{user:02d}_led"
            d.mkdir()
            for label in range(11):
                n = 40 + label
                ev = np.stack([rng.integers(0, 128, n), rng.integers(0, 128, n), rng.integers(0, 2, n),
                               np.sort(rng.integers(0, 500, n))], 1)
                np.save(d / f"{label}.npy", ev)
    return root


def test_tonic_reader_and_event_functions_accept_its_dtype(gesture_root):
    ds = open_saved("dvsgesture", gesture_root, train=True)
    assert len(ds) == 110
    ev, label = ds[3]
    assert ev.dtype.names == ("x", "y", "p", "t") and ev.dtype != EVENT_DTYPE
    conv = as_events(ev)
    assert conv.dtype == EVENT_DTYPE and len(conv) == len(ev)
    assert np.array_equal(conv["p"], ev["p"].astype(bool)) and np.array_equal(conv["t"], ev["t"])
    # tonic's array works directly wherever events are taken, with the same result as converted
    a = events_to_tensor(ev, (128, 128), n_time_bins=5, time_window_us=100_000)
    b = events_to_tensor(conv, (128, 128), n_time_bins=5, time_window_us=100_000)
    assert np.array_equal(a, b) and a.sum() > 0
    assert np.array_equal(events_to_frames(ev, (128, 128), 4), events_to_frames(conv, (128, 128), 4))


def test_tonic_frames_split_and_counts(gesture_root):
    s = tonic_frames("dvsgesture", gesture_root, T=4, n_train=12, n_test=6)
    assert s.x_train.shape == (12, 4, 2, 128, 128) and s.x_test.shape == (6, 4, 2, 128, 128)
    assert s.x_train.dtype == np.float32 and set(np.unique(s.y_train)) <= set(range(11))
    # tonic's ToFrame(n_event_bins=T) keeps floor(n / T) events per bin
    ds = open_saved("dvsgesture", gesture_root, train=True)
    counts = s.x_train.sum(axis=(1, 2, 3, 4))
    assert counts.min() >= 40 - 3 and counts.max() <= 50
    full = tonic_frames("dvsgesture", gesture_root, T=2)
    assert len(full.x_train) == len(ds) == 110


def test_missing_dataset_is_not_downloaded(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing is downloaded"):
        open_saved("nmnist", tmp_path)
    with pytest.raises(ValueError, match="tonic dataset"):
        open_saved("mnist", tmp_path)


def test_paradigm_reads_tonic_data(gesture_root):
    p = get("images")
    cfg = p.make_config("cifar10dvs", {"tonic_dataset": "dvsgesture", "data_dir": str(gesture_root), "T": "2",
                                       "n_train": "4", "n_test": "3"})
    from spikesim.paradigms.images.data import load_data

    split, mean, std = load_data(cfg)
    assert split.x_train.shape == (4, 2, 2, 128, 128) and mean is None
    with pytest.raises(ConfigError, match="tonic_dataset"):
        p.make_config("cifar10dvs", {"tonic_dataset": "ncars", "data_dir": str(gesture_root)})
