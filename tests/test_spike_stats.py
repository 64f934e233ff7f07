"""Firing rates and ISI CV on spike trains whose answers are known in closed form."""
import numpy as np
import pytest

from spikesim.analysis.spike_stats import firing_rates, isi_cv, mean_isi_cv, mean_rate


def test_rates_count_spikes_per_second():
    t = np.array([1.0, 2.0, 3.0, 10.0, 500.0])
    i = np.array([0, 0, 2, 2, 2])
    np.testing.assert_allclose(firing_rates(t, i, 4, 1000.0), [2.0, 0.0, 3.0, 0.0])
    assert mean_rate(t, i, 4, 500.0) == pytest.approx(5 / 4 / 0.5)


def test_regular_train_has_cv_zero_and_alternating_known_cv():
    t = np.arange(10) * 7.0
    cv = isi_cv(np.concatenate([t, [0.0, 1.0, 3.0, 4.0, 6.0]]), np.r_[np.zeros(10, int), np.ones(5, int)], 3)
    assert cv[0] == 0.0
    # intervals 1,2,1,2: mean 1.5, std 0.5
    assert cv[1] == pytest.approx(0.5 / 1.5)
    assert np.isnan(cv[2])                      # no spikes


def test_unsorted_input_and_min_spikes():
    t, i = np.array([9.0, 1.0, 4.0]), np.array([0, 0, 0])   # intervals 3, 5
    assert isi_cv(t, i, 1)[0] == pytest.approx(1.0 / 4.0)
    assert np.isnan(isi_cv(t, i, 1, min_spikes=4)[0])
    assert np.isnan(mean_isi_cv(t, i, 1, min_spikes=4))


def test_poisson_train_cv_near_one():
    rng = np.random.default_rng(0)
    t = np.cumsum(rng.exponential(10.0, 20000))
    assert mean_isi_cv(t, np.zeros(t.size, int), 1) == pytest.approx(1.0, abs=0.03)


def test_bad_input():
    with pytest.raises(ValueError, match="same length"):
        firing_rates([1.0, 2.0], [0], 1, 10.0)
    with pytest.raises(ValueError, match="ids must lie"):
        firing_rates([1.0], [3], 2, 10.0)
    with pytest.raises(ValueError, match="duration"):
        firing_rates([1.0], [0], 1, 0.0)
    with pytest.raises(ValueError, match="min_spikes"):
        isi_cv([1.0], [0], 1, min_spikes=1)
