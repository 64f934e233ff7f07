"""HLOP's subspace learning on the event-driven core (models/hlop_core.py): subspace neurons
and a lateral projection with spikesim.plasticity.OjaSubspace, fed the per-step spikes of
each sample window, learn the same subspace as the torch path (batched Oja on the weighted
firing rates of the same spikes); and the frozen neurons stay fixed while new ones learn the
residual subspace."""
import numpy as np
import torch
from scipy.linalg import subspace_angles

from spikesim.models.hlop_core import CoreSubspace, build_subspace_network, weights_as_matrix
from spikesim.nn.hlop import HLOPSubspace
from spikesim.models.hlop_mlp import weighted_rate
from spikesim.plasticity.oja_subspace import OjaSubspaceRule


def _spike_windows(rng, groups, B, W):
    """(W, B, n) spikes: each sample turns on a random subset of the neuron groups (firing with
    probability 0.8 per step; 0.05 otherwise), so the rates' correlation has one large
    eigenvalue per group."""
    on = rng.random((B, groups.shape[0])) < 0.5
    p = 0.05 + 0.75 * np.clip(on.astype(float) @ groups, 0.0, 1.0)
    return (rng.random((W, B, groups.shape[1])) < p[None]).astype(np.float64)


def test_core_and_torch_engines_learn_the_same_subspace():
    rng = np.random.default_rng(4)
    n, k, W, B, n_batches, dt, tau = 15, 3, 5, 16, 30, 0.05, 1.0
    groups = np.kron(np.eye(k), np.ones(n // k))[:, rng.permutation(n)]      # (k, n) disjoint groups
    rule = OjaSubspaceRule(lr=0.2, iterations=5)
    core = CoreSubspace(n, rule, beta=float(np.exp(-dt / tau)), dtype=torch.float64)
    ref = HLOPSubspace(n, rule, dtype=torch.float64)
    core.add_subspace(k, np.random.default_rng(9))
    ref.add_subspace(k, np.random.default_rng(9))
    H0 = ref.H.numpy().copy()
    rates = []
    for _ in range(n_batches):
        spikes = _spike_windows(rng, groups, B, W)
        X = weighted_rate(torch.as_tensor(spikes), dt, tau)
        ref.hebbian_update(X)
        core.hebbian_update(torch.as_tensor(spikes).transpose(0, 1))       # (B, W, n) windows
        rates.append(X.numpy())
    Hc, Ht = core.H.numpy(), ref.H.numpy()
    X = np.concatenate(rates)
    top = np.linalg.eigh(X.T @ X)[1][:, -k:]
    start = np.degrees(subspace_angles(H0.T, top)).max()
    # constant-rate Oja learning fluctuates around the subspace by a few degrees (~6 here, for
    # both engines), so: orthonormal rows, far closer to the top-k subspace than at the start
    # (~85 degrees), and the two engines within 10 degrees of each other
    for H in (Hc, Ht):
        assert np.linalg.norm(H @ H.T - np.eye(k)) < 0.05
        assert np.degrees(subspace_angles(H.T, top)).max() < 0.15 * start
    assert np.degrees(subspace_angles(Hc.T, Ht.T)).max() < 10.0


def test_frozen_neurons_stay_and_new_ones_learn_the_residual_subspace():
    rng = np.random.default_rng(3)
    n = 10
    U = np.linalg.qr(rng.standard_normal((n, n)))[0]
    scales = np.r_[4.0, 3.5, 3.0, 2.5, 0.3 * np.ones(n - 4)]
    X = (rng.standard_normal((400, n)) * scales) @ U.T
    windows = X[:, None, :]                                                    # one-step windows
    H = np.vstack([U[:, :2].T, np.linalg.qr(rng.standard_normal((n, 2)))[0].T])   # rows 0-1 frozen
    net, proj, duration = build_subspace_network(H, 2, windows, eta=0.005, momentum=0.0, d_max=10.0, beta=1.0,
                                                 iterations=3)
    net.run(duration)
    H1 = weights_as_matrix(net, proj, 4, n)
    np.testing.assert_array_equal(H1[:2], H[:2])
    assert np.abs(H1[2:] @ H1[:2].T).max() < 0.05                             # orthogonal to the old rows
    assert np.degrees(subspace_angles(H1.T, U[:, :4])).max() < 5.0            # together: the top-4 subspace
