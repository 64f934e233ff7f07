"""Spikformer's spiking self-attention on the core's event-driven operation
(``Network.attention``): the dense torch Q K^T V * scale, the accumulation counts of both
association orders against the analytical formulas and their expectation for Bernoulli spikes,
and the order the automatic choice takes. (The op's own tests: tests/test_core_attention.py.)"""
import numpy as np
import pytest
import torch

from spikesim.analysis.energy import ssa_event_cost, ssa_expected_sops
from spikesim.nn.spikformer import spiking_attention
from tests.attention_networks import attention_net, run_attention


def _spikes(rng, shape, rates):
    return [(rng.random(shape) < r) for r in rates]


def _heads(x, h):
    T, N, D = x.shape
    return x.reshape(T, N, h, D // h).transpose(0, 2, 1, 3).astype(np.float32)


def test_core_attention_equals_torch_spiking_attention():
    q, k, v = _spikes(np.random.default_rng(7), (3, 11, 10), (0.3, 0.1, 0.6))
    y = run_attention(q, k, v, 2)[0]
    tq, tk, tv = (torch.from_numpy(_heads(x, 2)) for x in (q, k, v))
    want = spiking_attention(tq, tk, tv, 0.125).numpy().transpose(0, 2, 1, 3).reshape(y.shape)
    assert np.array_equal(y, want) and want.any()


def test_op_count_matches_analytical_formulas_per_order():
    q, k, v = _spikes(np.random.default_rng(3), (4, 16, 8), (0.2, 0.3, 0.4))
    s1 = run_attention(q, k, v, 1, order="q_ktv")[1]
    s2 = run_attention(q, k, v, 1, order="qkt_v")[1]
    q, k, v = (x.astype(np.float64) for x in (q, k, v))
    # Q (K^T V): pairs of K and V spikes on the same token, plus, per Q spike (m, i), the
    # number of non-zeros in row i of K^T V
    exp1 = sum((k[g].sum(1) * v[g].sum(1)).sum() + (q[g].sum(0) * ((k[g].T @ v[g]) > 0).sum(1)).sum()
               for g in range(4))
    # (Q K^T) V: pairs of Q and K spikes on the same feature, plus, per V spike (t, j), the
    # number of non-zeros in column t of Q K^T
    exp2 = sum((q[g].sum(0) * k[g].sum(0)).sum() + (v[g].sum(1) * ((q[g] @ k[g].T) > 0).sum(0)).sum()
               for g in range(4))
    assert s1 == int(exp1) and s2 == int(exp2)
    assert s1 < (sum((k[g].sum(1) * v[g].sum(1)).sum() for g in range(4)) + q.sum() * 8)


def test_op_count_matches_expectation_for_bernoulli_spikes():
    T, h, n, d = 4, 4, 49, 32
    fr = (0.15, 0.05, 0.2)
    q, k, v = _spikes(np.random.default_rng(11), (T * 50, n, h * d), fr)     # 50 images, one after the other
    s1 = run_attention(q, k, v, h, order="q_ktv")[1]
    s2 = run_attention(q, k, v, h, order="qkt_v")[1]
    exp = ssa_expected_sops(T, h, n, d, *fr)
    assert s1 / 50 == pytest.approx(exp["q_ktv"], rel=0.03)
    assert s2 / 50 == pytest.approx(exp["qkt_v"], rel=0.03)


def _orders(q, k, v):
    net, at, _ = attention_net(q, k, v, 1)
    net.run(1.0)                                   # one step: one head
    return int(at.ops[1]), int(at.ops[2])


def test_auto_order_follows_sparsity():
    rng = np.random.default_rng(5)
    q, k, v = _spikes(rng, (1, 40, 8), (0.9, 0.02, 0.9))
    c1, c2 = ssa_event_cost(*(_heads(x, 1) for x in (q, k, v)))
    assert _orders(q, k, v) == ((1, 0) if c1[0, 0] <= c2[0, 0] else (0, 1))
    # many tokens, few features -> K^T V (d x d) is the cheaper intermediate
    assert _orders(*_spikes(rng, (1, 64, 4), (0.5, 0.5, 0.5))) == (1, 0)
    # few tokens, many features, sparse Q and K -> Q K^T is cheaper
    assert _orders(*_spikes(rng, (1, 4, 64), (0.02, 0.02, 0.5))) == (0, 1)
