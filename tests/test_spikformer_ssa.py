"""Event-driven spiking self-attention: NumPy reference and Numba kernel equal the dense torch
Q K^T V * scale, and their accumulation counts equal the analytical ones."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from spikesim.analysis.energy import ssa_auto_order, ssa_event_cost, ssa_event_sops, ssa_expected_sops
from spikesim.backends.numba_cpu.ssa import ssa_event as ssa_numba
from spikesim.backends.numba_cpu.ssa import spikes_to_lists as spikes_to_lists_numba
from spikesim.backends.numba_cpu.ssa import ssa_event_lists
from spikesim.backends.reference.ssa import spikes_to_lists
from spikesim.backends.reference.ssa import ssa_event as ssa_ref
from spikesim.nn.spikformer import spiking_attention


def _qkv(rng, shape, rates):
    return [(rng.random(shape) < r).astype(np.float32) for r in rates]


def _dense(q, k, v, scale=0.125):
    # the dense torch SSA in the authors' (Q K^T) V order, independent of spiking_attention's choice
    q, k, v = (torch.from_numpy(a) for a in (q, k, v))
    return (((q @ k.transpose(-2, -1)) @ v) * scale).numpy()


@pytest.mark.parametrize("rates", [(0.05, 0.05, 0.05), (0.3, 0.1, 0.6), (0.9, 0.8, 0.7)])
@pytest.mark.parametrize("order", ["auto", "q_ktv", "qkt_v"])
def test_reference_and_numba_equal_dense(rates, order):
    rng = np.random.default_rng(7)
    q, k, v = _qkv(rng, (2, 3, 11, 5), rates)
    dense = _dense(q, k, v)
    out_r, sops_r, ord_r = ssa_ref(q, k, v, 0.125, order)
    out_n, sops_n, ord_n = ssa_numba(q, k, v, 0.125, order)
    assert np.array_equal(out_r, dense) and np.array_equal(out_n, dense)
    assert sops_r == sops_n and np.array_equal(ord_r, ord_n)
    assert np.array_equal(spiking_attention(*(torch.from_numpy(a) for a in (q, k, v)), 0.125).numpy(), dense)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 20), d=st.integers(1, 12), g=st.integers(1, 4),
       rq=st.floats(0, 1), rk=st.floats(0, 1), rv=st.floats(0, 1), seed=st.integers(0, 2**16))
def test_numba_equals_dense_and_counts_any_shape(n, d, g, rq, rk, rv, seed):
    q, k, v = _qkv(np.random.default_rng(seed), (g, n, d), (rq, rk, rv))
    out, sops, orders = ssa_numba(q, k, v, 0.25)
    assert np.array_equal(out, _dense(q, k, v, 0.25))
    c0, c1 = ssa_event_cost(q, k, v)
    assert sops == int(np.where(orders == 0, c0, c1).sum()) == ssa_event_sops(q, k, v)
    assert np.array_equal(orders, ssa_auto_order(q, k, v))
    # the sparse intermediate never costs more than the dense-intermediate bound
    assert np.all(c0 <= (k.sum(-1) * v.sum(-1)).sum(-1) + q.sum((-2, -1)) * d)


def test_op_count_matches_analytical_formulas_per_order():
    rng = np.random.default_rng(3)
    q, k, v = _qkv(rng, (4, 16, 8), (0.2, 0.3, 0.4))
    d = 8
    _, s1, _ = ssa_numba(q, k, v, order="q_ktv")
    _, s2, _ = ssa_numba(q, k, v, order="qkt_v")
    # Q (K^T V): pairs of K and V spikes on the same token, plus, per Q spike (m, i), the
    # number of non-zeros in row i of K^T V
    exp1 = sum((k[g].sum(1) * v[g].sum(1)).sum() + (q[g].sum(0) * ((k[g].T @ v[g]) > 0).sum(1)).sum()
               for g in range(4))
    # (Q K^T) V: pairs of Q and K spikes on the same feature, plus, per V spike (t, j), the
    # number of non-zeros in column t of Q K^T
    exp2 = sum((q[g].sum(0) * k[g].sum(0)).sum() + (v[g].sum(1) * ((q[g] @ k[g].T) > 0).sum(0)).sum()
               for g in range(4))
    assert s1 == int(exp1) and s2 == int(exp2)
    assert s1 < (sum((k[g].sum(1) * v[g].sum(1)).sum() for g in range(4)) + q.sum() * d)


def test_op_count_matches_expectation_for_bernoulli_spikes():
    rng = np.random.default_rng(11)
    T, h, n, d = 4, 4, 49, 32
    fr = (0.15, 0.05, 0.2)
    q, k, v = _qkv(rng, (T * h * 50, n, d), fr)             # 50 images
    _, s1, _ = ssa_numba(q, k, v, order="q_ktv")
    _, s2, _ = ssa_numba(q, k, v, order="qkt_v")
    exp = ssa_expected_sops(T, h, n, d, *fr)
    assert s1 / 50 == pytest.approx(exp["q_ktv"], rel=0.03)
    assert s2 / 50 == pytest.approx(exp["qkt_v"], rel=0.03)


def test_auto_order_follows_sparsity():
    rng = np.random.default_rng(5)
    n, d = 40, 8
    # dense Q, very sparse K: (Q K^T) V needs few pairs only if V is sparse too; here K^T V is cheap
    q, k, v = _qkv(rng, (1, n, d), (0.9, 0.02, 0.9))
    c1, c2 = ssa_event_cost(q, k, v)
    _, _, orders = ssa_numba(q, k, v)
    assert orders[0] == (0 if c1[0] <= c2[0] else 1)
    # many tokens, few features -> K^T V (d x d) is the cheaper intermediate
    q, k, v = _qkv(rng, (1, 64, 4), (0.5, 0.5, 0.5))
    assert ssa_numba(q, k, v)[2][0] == 0
    # few tokens, many features, sparse Q and K -> Q K^T is cheaper
    q, k, v = _qkv(rng, (1, 4, 64), (0.02, 0.02, 0.5))
    assert ssa_numba(q, k, v)[2][0] == 1


def test_spike_lists_reference_and_numba_agree():
    """One list builder, written twice (NumPy reference, Numba): same CSR, same refusal of non-binary input."""
    rng = np.random.default_rng(3)
    x = (rng.random((3, 7, 5)) < 0.3).astype(np.float32)
    x[1, 2] = 0                                   # an empty token
    (pr, ir), (pn, i_n) = spikes_to_lists(x), spikes_to_lists_numba(x)
    np.testing.assert_array_equal(pr, pn)
    np.testing.assert_array_equal(ir, i_n)
    assert ir.dtype == i_n.dtype == np.int32 and pr[-1] == x.sum()
    for builder in (spikes_to_lists, spikes_to_lists_numba):
        with pytest.raises(ValueError, match="binary"):
            builder(x * 2)


def test_lists_driver_and_errors():
    rng = np.random.default_rng(0)
    q, k, v = _qkv(rng, (3, 6, 4), (0.5, 0.5, 0.5))
    out, sops, _ = ssa_event_lists(3, 6, 4, spikes_to_lists(q), spikes_to_lists(k), spikes_to_lists(v))
    assert np.array_equal(out, _dense(q, k, v))
    with pytest.raises(ValueError, match="indptr"):
        ssa_event_lists(2, 6, 4, spikes_to_lists(q), spikes_to_lists(k), spikes_to_lists(v))
    with pytest.raises(ValueError, match="binary"):
        ssa_numba(q * 2, k, v)
    with pytest.raises(ValueError, match="shapes differ"):
        ssa_numba(q, k[:, :5], v)
    with pytest.raises(ValueError, match="order"):
        ssa_ref(q, k, v, order="fastest")
