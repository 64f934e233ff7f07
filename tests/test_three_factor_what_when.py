"""Unit properties of the what/when learning rules and the what-when metrics."""
import numpy as np
import pytest

from spikesim.analysis import what_when as ana
from spikesim.plasticity.three_factor import nlms_rate, three_factor_dw, timing_error
from spikesim.plasticity.two_factor import two_factor_dv, what_rate


def test_three_factor_gate_closes_learning_and_sign_follows_error():
    rng = np.random.default_rng(0)
    pre = rng.random(50)
    lr = nlms_rate(0.1, float(pre @ pre), 1e-3)
    assert np.all(three_factor_dw(pre, timing_error(1.0, 0.2), 0.0, lr) == 0.0)   # gate closed
    up = three_factor_dw(pre, timing_error(1.0, 0.2), 1.0, lr)
    down = three_factor_dw(pre, timing_error(0.0, 0.2), 1.0, lr)
    assert np.all(up > 0) and np.all(down < 0)


def test_three_factor_nlms_moves_readout_toward_target():
    rng = np.random.default_rng(1)
    w = np.zeros(40)
    for _ in range(200):
        pre = rng.random(40)
        target = 0.7 * pre.sum() / 20.0
        err = timing_error(target, w @ pre)
        w += three_factor_dw(pre, err, 1.0, nlms_rate(0.2, float(pre @ pre), 1e-3))
    pre = rng.random(40)
    assert abs(w @ pre - 0.7 * pre.sum() / 20.0) < 0.05


@pytest.mark.parametrize("p", [0.2, 0.7])
def test_two_factor_tracks_outcome_frequency(p):
    """With a repeating post-cue state the what readout is an EMA of the outcome -> p(k)."""
    rng = np.random.default_rng(2)
    rbar = rng.random(30)
    v = np.zeros(30)
    qs = []
    for n in range(600):
        q = v @ rbar
        o = float(rng.random() < p)
        v += two_factor_dv(rbar, o, q, what_rate(0.05, float(rbar @ rbar), 1e-9))
        if n > 300:
            qs.append(v @ rbar)
    assert abs(np.mean(qs) - p) < 0.06


def test_angles_orthogonal_and_identical():
    e = np.eye(6)
    assert np.allclose(ana.what_when_angles(e[:2], e[2:4]), 90.0)
    assert np.allclose(ana.what_when_angles(e[:2], e[:2] * 3), 0.0, atol=1e-6)
    assert np.isnan(ana.what_when_angles(np.zeros((2, 6)), e[:2])).all()


def test_recovery_trials_on_synthetic_curve():
    trials = np.arange(1, 201)
    err = np.where(trials <= 100, 0.1, 0.1 + 0.2 * np.exp(-(trials - 101) / 10.0))
    rec = ana.recovery_trials(trials, err, np.array([1, 101]), 100, 0.9, smooth=1)
    assert rec[0] == pytest.approx(10 * np.log(10) + 1, abs=1.5)
    never = ana.recovery_trials(trials, np.where(trials <= 100, 0.1, 0.3), np.array([1, 101]), 100, 0.9)
    assert never[0] == 100


def test_metric_helpers():
    t = np.arange(100.0)
    y = np.zeros((100, 2))
    y[40, 0] = 1.0
    y[70, 1] = 0.5
    assert ana.peak_time_errors(y, t, [45.0, 70.0], [1.0, 0.1]).tolist()[0] == 5.0
    assert np.isnan(ana.peak_time_errors(y, t, [45.0, 70.0], [1.0, 0.1])[1])
    amp = ana.amplitudes(y, t, [40.0, 70.0], 0.0)
    assert amp.tolist() == [1.0, 0.5]
    assert ana.rmse(y, y) == 0.0
    with pytest.raises(ValueError, match="shape"):
        ana.rmse(y, y[:, :1])
    assert ana.correlation([0, 1, 2], [0, 2, 4]) == pytest.approx(1.0)
