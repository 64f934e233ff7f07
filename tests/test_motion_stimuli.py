"""Motion stimuli and event streams (spikesim.io.motion_stimuli, spikesim.io.events)."""
import numpy as np
import pytest

from spikesim.io.events import (EVENT_DTYPE, events_to_tensor, load_events, make_structured_array, save_events,
                                tensor_to_events)
from spikesim.io.motion_stimuli import (MotionWorld, label_sequence, load_images, make_events, motion_classes,
                                        motion_cloud_movie, translate_movie, whiten)


def _shift(a, b):
    """Integer displacement (rows, cols) of b relative to a by circular cross-correlation."""
    f = np.fft.ifft2(np.fft.fft2(b) * np.conj(np.fft.fft2(a))).real
    i, j = np.unravel_index(f.argmax(), f.shape)
    n, m = a.shape
    return (i if i <= n // 2 else i - n), (j if j <= m // 2 else j - m)


def test_classes_match_paper():
    phi, v = motion_classes()
    assert len(phi) == 36
    np.testing.assert_allclose(np.unique(np.round(v, 3)), [0.25, 0.397, 0.63])
    assert np.degrees(phi[12]) == pytest.approx(15.0)  # middle speed offset by 15 degrees


def test_residual_event_rule_by_hand():
    # one pixel, differences 0, +3, +3, -1, 0 with theta = std(D[1:]) computed here
    lum = np.cumsum([0.0, 3.0, 3.0, -1.0, 0.0])[:, None, None]
    d = np.diff(lum[:, 0, 0])
    theta = d.std()
    ev = make_events(lum, selectivity=1.0)
    s_prev, expect = 0.0, []
    for dt in np.r_[0.0, d]:
        r = dt - theta * s_prev
        s = 1.0 if r > theta else (-1.0 if r < -theta else 0.0)
        expect.append(s)
        s_prev = s
    got = ev[1, :, 0, 0].astype(int) - ev[0, :, 0, 0].astype(int)
    np.testing.assert_array_equal(got, expect)
    assert ev.shape == (2, 5, 1, 1) and ev.dtype == np.uint8


def test_event_rule_is_not_cumulative():
    # pixel 0 ramps by D = 1 per frame; pixel 1 alternates by +-1, so theta = std(D) = sqrt(0.75):
    # theta < D < 2 theta, hence ON, nothing, ON, nothing ... (an accumulating DVS model would fire
    # at every frame once the ramp has crossed its threshold)
    t = np.arange(9)
    lum = np.zeros((9, 1, 2))
    lum[:, 0, 0] = t
    lum[:, 0, 1] = t % 2
    ev = make_events(lum, selectivity=1.0)
    np.testing.assert_array_equal(ev[1, :, 0, 0], [0, 1, 0, 1, 0, 1, 0, 1, 0])
    assert ev[0, :, 0, 0].sum() == 0


def test_motion_direction_and_speed():
    w = MotionWorld(n_x=32, n_y=32, n_t=40, seed=1)
    phi, v = w.phi, w.speed
    for k in (24, 27, 3):  # 0 deg fast (down), 90 deg fast (right), 90 deg slow
        _, _, movie = w.draw(5, label=k)
        dx, dy = _shift(movie[0], movie[20])
        assert dx == pytest.approx(20 * v[k] * np.cos(phi[k]), abs=1.01)
        assert dy == pytest.approx(20 * v[k] * np.sin(phi[k]), abs=1.01)


def test_subpixel_translation_matches_integer_roll():
    rng = np.random.default_rng(0)
    img = whiten(rng.standard_normal((64, 64)))
    m = translate_movie(img, np.array([0.0, 1.0]), np.array([0.0, -2.0]), 16, 16, 20.0, 20.0)
    np.testing.assert_allclose(m[1], img[21:37, 18:34], atol=1e-9)
    half = translate_movie(img, np.array([0.5]), np.array([0.0]), 16, 16, 20.0, 20.0)[0]
    assert np.abs(half - img[20:36, 20:36]).mean() > 0.05  # a real sub-pixel shift, not a rounding


def test_event_density_and_labels():
    w = MotionWorld(n_x=32, n_y=32, n_t=50, seed=3)
    ev, lab = w.dataset(6)
    assert 0.02 < ev.mean() < 0.25          # paper: ~11 % on whitened natural images
    assert ev.max() == 1
    wt = MotionWorld(n_x=32, n_y=32, n_t=50, seed=4, block_length=float("inf"))
    _, lab_t = wt.dataset(4, constant=True)
    assert np.all(lab_t == lab_t[:, :1])


def test_random_walk_block_length():
    rng = np.random.default_rng(0)
    lab = label_sequence(200000, 36, rng, 24.0)
    switches = np.count_nonzero(np.diff(lab))
    # a redraw happens with p = 1/24 and changes the label with p = 35/36
    assert switches / len(lab) == pytest.approx(35 / 36 / 24, rel=0.05)


def test_image_policy_per_movie_differs():
    a = MotionWorld(n_x=16, n_y=16, n_t=8, seed=2, image_policy="per-movie")
    b = MotionWorld(n_x=16, n_y=16, n_t=8, seed=2)
    assert not np.allclose(a.draw(0, label=0)[2], a.draw(1, label=0)[2])
    with pytest.raises(ValueError, match="image_policy"):
        MotionWorld(image_policy="bogus")
    assert b.draw(0)[0].shape == (2, 8, 16, 16)


def test_user_images_folder_and_npy(tmp_path):
    rng = np.random.default_rng(1)
    np.save(tmp_path / "a.npy", rng.standard_normal((128, 128)))
    np.save(tmp_path / "b.npy", rng.standard_normal((128, 128, 2)))
    assert len(load_images(tmp_path)) == 3
    w = MotionWorld(n_x=16, n_y=16, n_t=10, image_source=str(tmp_path), seed=0)
    assert w.draw(0)[0].shape == (2, 10, 16, 16)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        MotionWorld(image_source=str(tmp_path / "missing"))
    np.save(tmp_path / "small.npy", rng.standard_normal((20, 20)))
    with pytest.raises(ValueError, match="too small"):
        MotionWorld(n_x=16, n_y=16, n_t=10, image_source=str(tmp_path / "small.npy"))


def test_motion_cloud_moves_in_class_direction():
    m = motion_cloud_movie(32, 32, 32, phi=np.pi / 2, speed=1.0, B_V=0.01, B_theta=np.inf, sf_0=0.1, B_sf=0.05)
    dx, dy = _shift(m[0], m[8])
    assert (dx, dy) == (0, 8)


def test_tonic_round_trip_and_binning(tmp_path):
    rng = np.random.default_rng(2)
    a = (rng.random((2, 7, 5, 6)) < 0.2).astype(np.uint8)
    ev = tensor_to_events(a)
    assert ev.dtype == EVENT_DTYPE and np.all(np.diff(ev["t"]) >= 0)
    back = events_to_tensor(ev, sensor_size=(6, 5, 2), n_time_bins=7)
    np.testing.assert_array_equal(back, a)
    # half-open bins, clamped counts, out-of-range dropped
    e2 = make_structured_array([0, 0, 0, 9], [0, 0, 0, 0], [999, 1000, 1500, 10], [1, 1, 1, 0])
    t2 = events_to_tensor(e2, (6, 5), n_time_bins=2)
    assert t2[1, 0, 0, 0] == 1 and t2[1, 1, 0, 0] == 1 and t2.sum() == 2
    save_events(tmp_path / "e.npy", ev)
    np.testing.assert_array_equal(load_events(tmp_path / "e.npy"), ev)
    np.save(tmp_path / "plain.npy", np.stack([ev["x"], ev["y"], ev["t"], ev["p"]], 1).astype(np.int64))
    np.testing.assert_array_equal(load_events(tmp_path / "plain.npy"), ev)


def test_event_bad_input(tmp_path):
    with pytest.raises(ValueError, match="shape"):
        tensor_to_events(np.zeros((3, 2, 2, 2)))
    with pytest.raises(ValueError, match="fields"):
        events_to_tensor(np.zeros(3), (4, 4), 2)
    with pytest.raises(ValueError, match="n_time_bins"):
        events_to_tensor(make_structured_array([0], [0], [0], [1]), (4, 4), 0)
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="pickled"):
        load_events(tmp_path / "obj.npy")
    with pytest.raises(ValueError, match="selectivity"):
        make_events(np.zeros((3, 2, 2)), selectivity=0)
    with pytest.raises(ValueError, match="whiten"):
        whiten(np.full((8, 8), np.nan))


def test_parallel_dataset_equals_serial():
    w = MotionWorld(n_x=16, n_y=16, n_t=10, seed=9)
    serial = w.dataset(4, constant=True, with_movies=True)
    parallel = w.dataset(4, constant=True, with_movies=True, workers=2)
    for a, b in zip(serial, parallel):
        np.testing.assert_array_equal(a, b)
