"""Oja subspace rule of HLOP, torch path (spikesim.nn.hlop.HLOPSubspace): convergence to a known
subspace, frozen rows, the k schedule and bad input. The core rule is tested in
tests/test_plasticity_oja.py, the core engine against this one in tests/test_hlop_core.py."""
import numpy as np
import pytest
import torch
from scipy.linalg import subspace_angles

from spikesim.nn.hlop import HLOPSubspace, paper_k_schedule, scale_k
from spikesim.plasticity.oja_subspace import OjaSubspaceRule, orthogonal_rows


def _low_rank_data(rng, n, k, batch, top=(3.0, 2.0), rest=0.3):
    """Samples with a known top-k principal subspace U[:, :k] (a random orthonormal basis)."""
    U = np.linalg.qr(rng.standard_normal((n, n)))[0]
    scales = np.r_[np.linspace(top[0], top[1], k), rest * np.ones(n - k)]
    return U, lambda: (rng.standard_normal((batch, n)) * scales) @ U.T


def test_learns_known_subspace_with_orthonormal_rows():
    rng = np.random.default_rng(1)
    n, k = 40, 4
    U, draw = _low_rank_data(rng, n, k, 64)
    mod = HLOPSubspace(n, OjaSubspaceRule(lr=0.01, iterations=5), dtype=torch.float64)
    mod.add_subspace(k, rng)
    for _ in range(600):
        mod.hebbian_update(torch.as_tensor(draw()))
    H = mod.H.numpy()
    assert np.linalg.norm(H @ H.T - np.eye(k)) < 1e-2
    assert np.degrees(subspace_angles(H.T, U[:, :k])).max() < 5.0


def test_frozen_rows_fixed_and_new_rows_learn_the_residual_subspace():
    rng = np.random.default_rng(3)
    n = 30
    U, draw = _low_rank_data(rng, n, 6, 64, top=(4.0, 2.0))
    mod = HLOPSubspace(n, OjaSubspaceRule(lr=0.01, iterations=5), dtype=torch.float64)
    mod.add_subspace(3, rng)
    for _ in range(500):
        mod.hebbian_update(torch.as_tensor(draw()))
    mod.merge()
    old = mod.H.numpy().copy()
    mod.add_subspace(3, rng)
    for _ in range(500):
        mod.hebbian_update(torch.as_tensor(draw()))
    H = mod.H.numpy()
    np.testing.assert_array_equal(H[:3], old)
    # new rows are orthogonal to the old ones and together they span the top-6 subspace
    assert np.abs(H[3:] @ old.T).max() < 0.05
    assert np.degrees(subspace_angles(H.T, U[:, :6])).max() < 5.0
    # without free rows the update is a no-op
    mod.merge()
    mod.hebbian_update(torch.as_tensor(draw()))
    np.testing.assert_array_equal(mod.H.numpy(), H)


def test_orthogonal_rows_and_k_schedule():
    Q = orthogonal_rows(5, 12, np.random.default_rng(0))
    np.testing.assert_allclose(Q @ Q.T, np.eye(5), atol=1e-12)
    assert [paper_k_schedule(t) for t in (0, 1, 2, 3, 6, 9)] == [
        [80, 200, 100], [70, 70, 70], [70, 70, 70], [50, 50, 50], [30, 30, 30], [10, 10, 10]]
    total = np.sum([paper_k_schedule(t) for t in range(10)], axis=0)
    assert total.tolist() == [470, 590, 490]
    assert scale_k([80, 200, 100], [784, 800, 800]) == [80, 200, 100]
    assert scale_k([80, 200, 100], [64, 100, 100]) == [7, 25, 12]


@pytest.mark.parametrize("kwargs, word", [
    (dict(lr=-1.0), "lr"), (dict(lr=float("nan")), "lr"), (dict(momentum=1.0), "momentum"),
    (dict(clip=0.0), "clip"), (dict(iterations=0), "iterations"), (dict(iterations=1.5), "iterations")])
def test_bad_rule_parameters(kwargs, word):
    with pytest.raises(ValueError, match=word):
        OjaSubspaceRule(**kwargs)


def test_bad_batches():
    mod = HLOPSubspace(4)
    with pytest.raises(ValueError, match="X must have shape"):
        mod.hebbian_update(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="k_new"):
        mod.add_subspace(-1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="n_in"):
        HLOPSubspace(0)
