"""Oja subspace rule of HLOP: convergence to a known subspace, frozen rows, backend agreement,
and the event-driven (spike-trace) numba path against the torch path."""
import numpy as np
import pytest
import torch
from scipy.linalg import subspace_angles

from spikesim.backends.numba_cpu import oja_subspace as nb
from spikesim.backends.reference import oja_subspace as ref
from spikesim.nn.hlop import HLOPSubspace, paper_k_schedule, scale_k
from spikesim.nn.hlop_mlp import weighted_rate
from spikesim.plasticity.oja_subspace import OjaSubspaceRule, SubspaceState, orthogonal_rows


def _low_rank_data(rng, n, k, batch, top=(3.0, 2.0), rest=0.3):
    """Samples with a known top-k principal subspace U[:, :k] (a random orthonormal basis)."""
    U = np.linalg.qr(rng.standard_normal((n, n)))[0]
    scales = np.r_[np.linspace(top[0], top[1], k), rest * np.ones(n - k)]
    return U, lambda: (rng.standard_normal((batch, n)) * scales) @ U.T


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_learns_known_subspace_with_orthonormal_rows(backend):
    rng = np.random.default_rng(1)
    n, k = 40, 4
    U, draw = _low_rank_data(rng, n, k, 64)
    rule = OjaSubspaceRule(lr=0.01, iterations=5)
    st = SubspaceState(n)
    st.add_rows(k, rng)
    for _ in range(600):
        X = draw()
        if backend == "numba":
            nb.update(st, X, rule)
        else:
            ref.oja_subspace_update(st.H, st.momentum, X, st.n_frozen, rule.lr, rule.momentum, rule.clip,
                                    rule.iterations)
    assert np.linalg.norm(st.H @ st.H.T - np.eye(k)) < 1e-2
    assert np.degrees(subspace_angles(st.H.T, U[:, :k])).max() < 5.0


def test_numba_equals_reference():
    rng = np.random.default_rng(2)
    n, k = 30, 6
    _, draw = _low_rank_data(rng, n, k, 32)
    a = SubspaceState(n)
    a.add_rows(3, rng)
    a.freeze()
    a.add_rows(3, rng)
    b = SubspaceState(n, a.H.copy(), a.momentum.copy(), a.n_frozen)
    rule = OjaSubspaceRule(lr=0.02, momentum=0.9, clip=0.5, iterations=7)
    for _ in range(20):
        X = draw()
        nb.update(a, X, rule)
        ref.oja_subspace_update(b.H, b.momentum, X, b.n_frozen, rule.lr, rule.momentum, rule.clip, rule.iterations)
    np.testing.assert_allclose(a.H, b.H, rtol=0, atol=1e-10)
    np.testing.assert_allclose(a.momentum, b.momentum, rtol=0, atol=1e-10)


def test_frozen_rows_fixed_and_new_rows_learn_the_residual_subspace():
    rng = np.random.default_rng(3)
    n = 30
    U, draw = _low_rank_data(rng, n, 6, 64, top=(4.0, 2.0))
    rule = OjaSubspaceRule(lr=0.01, iterations=5)
    st = SubspaceState(n)
    st.add_rows(3, rng)
    for _ in range(500):
        nb.update(st, draw(), rule)
    st.freeze()
    old = st.H.copy()
    st.add_rows(3, rng)
    for _ in range(500):
        nb.update(st, draw(), rule)
    np.testing.assert_array_equal(st.H[:3], old)
    new = st.H[3:]
    # new rows are orthogonal to the old ones and together they span the top-6 subspace
    assert np.abs(new @ old.T).max() < 0.05
    assert np.degrees(subspace_angles(st.H.T, U[:, :6])).max() < 5.0
    # without free rows the update is a no-op
    st.freeze()
    before = st.H.copy()
    nb.update(st, draw(), rule)
    np.testing.assert_array_equal(st.H, before)


def test_event_driven_spike_traces_and_torch_path_learn_the_same_subspace():
    """Same spikes: numba kernel on spike events (traces) vs torch HLOP module on wfr rates."""
    rng = np.random.default_rng(4)
    n, k, T, B, dt, tau = 50, 5, 20, 32, 0.05, 1.0
    beta = np.exp(-dt / tau)
    U = np.linalg.qr(rng.standard_normal((n, k)))[0]
    rule = OjaSubspaceRule(lr=0.05, iterations=5)
    st = SubspaceState(n)
    st.add_rows(k, np.random.default_rng(9))
    mod = HLOPSubspace(n, rule, dtype=torch.float64)
    mod.add_subspace(k, np.random.default_rng(9))
    np.testing.assert_array_equal(mod.H.numpy(), st.H)
    all_rates = []
    for _ in range(600):
        latent = rng.random((B, k))
        p = np.clip(latent @ (1.5 * np.abs(U).T), 0, 1)                     # firing probabilities
        spikes = (rng.random((T, B, n)) < p[None]).astype(np.float64)
        t_idx, b_idx, j_idx = np.nonzero(spikes)                           # spike events
        X_ev = nb.update_from_spike_events(st, rule, t_idx, b_idx, j_idx, T=T, B=B, beta=beta)
        X_t = weighted_rate(torch.as_tensor(spikes), dt, tau)
        np.testing.assert_allclose(X_ev, X_t.numpy(), atol=1e-12)
        mod.hebbian_update(X_t)
        all_rates.append(X_ev)
    H_nb, H_t = st.H, mod.H.numpy()
    assert np.abs(H_nb - H_t).max() < 1e-6
    assert np.degrees(subspace_angles(H_nb.T, H_t.T)).max() < 1e-3
    # both converged to the top-k subspace of the uncentred trace correlation
    X = np.concatenate(all_rates)
    top = np.linalg.eigh(X.T @ X)[1][:, -k:]
    assert np.degrees(subspace_angles(H_nb.T, top)).max() < 5.0
    assert np.linalg.norm(H_nb @ H_nb.T - np.eye(k)) < 1e-2


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


def test_bad_batches_and_events():
    st = SubspaceState(4)
    st.add_rows(2, np.random.default_rng(0))
    rule = OjaSubspaceRule()
    with pytest.raises(ValueError, match="X must have shape"):
        nb.update(st, np.zeros((3, 5)), rule)
    with pytest.raises(ValueError, match="NaN"):
        nb.update(st, np.full((3, 4), np.nan), rule)
    with pytest.raises(ValueError, match="ids"):
        nb.traces_from_events([0], [0], [7], T=2, B=1, n=4, beta=0.9)
    with pytest.raises(ValueError, match="beta"):
        nb.traces_from_events([0], [0], [0], T=2, B=1, n=4, beta=0.0)
    with pytest.raises(ValueError, match="n_in"):
        SubspaceState(0)
    mod = HLOPSubspace(4)
    with pytest.raises(ValueError, match="X must have shape"):
        mod.hebbian_update(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="k_new"):
        mod.add_subspace(-1, np.random.default_rng(0))
