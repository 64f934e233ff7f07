"""Connectivity rules: counts, degrees, seeds, autapses, distance dependence, bad input."""
import numpy as np
import pytest

import spikesim as ss
from spikesim import connectivity as C


def test_fixed_probability_density_and_seed():
    pre, post, w = C.fixed_probability(300, 400, 0.1, weight=2.0, seed=1)
    assert abs(pre.size - 12000) < 4 * np.sqrt(12000 * 0.9)
    assert np.all(w == 2.0)
    again = C.fixed_probability(300, 400, 0.1, weight=2.0, seed=1)
    np.testing.assert_array_equal(pre, again[0])
    np.testing.assert_array_equal(post, again[1])
    assert not np.array_equal(post, C.fixed_probability(300, 400, 0.1, seed=2)[1][:post.size])
    pre, post, _ = C.fixed_probability(50, 50, 0.5, autapses=False)
    assert not np.any(pre == post)


def test_fixed_degrees():
    pre, post, _ = C.fixed_indegree(100, 80, 10, seed=0)
    assert np.all(np.bincount(post, minlength=80) == 10)
    pairs = set(zip(pre.tolist(), post.tolist()))
    assert len(pairs) == pre.size                       # distinct partners
    pre, post, _ = C.fixed_outdegree(60, 60, 59, autapses=False, seed=3)
    assert np.all(np.bincount(pre, minlength=60) == 59) and not np.any(pre == post)
    with pytest.raises(ValueError, match="degree K"):
        C.fixed_indegree(5, 5, 6)


def test_one_to_one_and_weight_callable():
    pre, post, w = C.one_to_one(5, weight=lambda rng, n: rng.uniform(1, 2, n), seed=4)
    np.testing.assert_array_equal(pre, post)
    assert np.all((w >= 1) & (w < 2))


def test_distance_dependent_prefers_near_pairs():
    x = np.linspace(0, 100, 200)[:, None]
    pre, post, _ = C.distance_dependent(x, x, C.gaussian(0.8, 5.0), seed=0)
    d = np.abs(x[pre, 0] - x[post, 0])
    assert d.mean() < 8.0 and pre.size > 1000


def test_rules_feed_connect():
    net = ss.Network(dt=0.1)
    a = net.add(ss.inputs.Poisson(20, 50.0), name="a")
    b = net.add(ss.neurons.LIF(30), name="b")
    proj = net.connect(a, b, C.fixed_indegree(20, 30, 4, weight=3.0), delays=1.0)
    assert proj.n_synapses == 120


def test_bad_input():
    with pytest.raises(ValueError, match="probability"):
        C.fixed_probability(3, 3, 1.5)
    with pytest.raises(ValueError, match="n_pre"):
        C.fixed_probability(0, 3, 0.1)
    with pytest.raises(ValueError, match="weight"):
        C.fixed_probability(3, 3, 1.0, weight=np.ones(2))
