"""Metrics of the motion paradigm (spikesim.analysis.motion)."""
import numpy as np
import pytest
from scipy.stats import binom

from spikesim.analysis.motion import accuracy_band, fit_sigmoid, movie_decision, prune_levels, sigmoid_curve


def test_accuracy_band_is_binomial():
    correct = np.r_[np.ones(90, bool), np.zeros(10, bool)]
    acc, lo, hi = accuracy_band(correct)
    assert acc == 0.9
    assert lo == binom.ppf(0.05, 100, 0.9) / 100 and hi == binom.ppf(0.95, 100, 0.9) / 100
    assert lo < acc < hi
    with pytest.raises(ValueError, match="empty"):
        accuracy_band([])


@pytest.mark.parametrize("h,s", [(-2.8, 0.15), (-1.5, 0.3)])
def test_sigmoid_fit_recovers_parameters(h, s):
    x = prune_levels(32)
    rng = np.random.default_rng(0)
    y = sigmoid_curve(x, h, s, 1 / 36, 0.9) + rng.normal(0, 0.01, x.size)
    fit = fit_sigmoid(x, y, 1 / 36, top=0.9)
    assert fit["log10_half"] == pytest.approx(h, abs=0.05)
    assert fit["width"] == pytest.approx(s, rel=0.2)
    assert fit["half_saturation"] == pytest.approx(10 ** h, rel=0.15)


def test_sigmoid_fit_flat_curve_is_nan():
    x = prune_levels(8)
    assert np.isnan(fit_sigmoid(x, np.full(8, 1 / 36), 1 / 36)["half_saturation"])
    with pytest.raises(ValueError, match="kept_fraction"):
        fit_sigmoid(np.array([0.0, 0.5, 1.0]), np.zeros(3), 0.1)


def test_movie_decision_uses_top_voxels_and_drops_frames():
    z = np.zeros((3, 10, 4, 4))
    z[1, 2:, :, :] = 0.1            # weak, widespread evidence for class 1
    z[2, 5, 0, 0] = 5.0             # one strong voxel for class 2
    z[0, :2] = 100.0                # class 0 only in the dropped frames
    dec, scores = movie_decision(z, drop_frames=2, top_fraction=1 / 128)
    assert dec == 2
    dec_all, _ = movie_decision(z, drop_frames=2, top_fraction=1.0)
    assert dec_all == 1
    assert movie_decision(z, drop_frames=0, top_fraction=1.0)[0] == 0
    with pytest.raises(ValueError, match="drop_frames"):
        movie_decision(z, drop_frames=10)
    with pytest.raises(ValueError, match="top_fraction"):
        movie_decision(z, top_fraction=0, drop_frames=1)
