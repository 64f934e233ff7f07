"""Spiking MLP (DSR / BPTT on norse), HLOP projection and the learners' protocol."""
import numpy as np
import pytest
import torch

from spikesim.models.adapters.gpm import extend_basis
from spikesim.models.adapters.finetune import FineTune
from spikesim.models.hlop import HLOPLearner
from spikesim.models.adapters.ann_mlp import ReLUMLP
from spikesim.models.hlop_mlp import DSRLIF, SpikingMLP, weighted_rate
from spikesim.paradigms.continual import ContinualConfig
from spikesim.paradigms.continual.data import build_tasks

torch.set_num_threads(1)


def test_weighted_rate_by_hand():
    """The weighted firing rate (Xiao et al. 2024, DSR): sum_t exp(-(T - t) dt / tau) z_t over the
    same weights' sum, t = 1..T: the last step weighs most, a constant train keeps its value."""
    z = torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 2.0]], dtype=torch.float64)     # (T=3, 2)
    dt, tau = 0.5, 1.0
    w = np.exp(-np.array([2, 1, 0]) * dt / tau)
    want = (w[:, None] * z.numpy()).sum(0) / w.sum()
    np.testing.assert_allclose(weighted_rate(z, dt, tau).numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(weighted_rate(torch.full((5, 3), 0.7, dtype=torch.float64), dt, tau).numpy(), 0.7,
                               rtol=1e-12)


def test_dsr_rate_tracks_the_clamped_current_that_its_backward_assumes():
    """DSR's backward uses d rate / d I = 1/tau on (0, Vth tau/dt); the forward must agree."""
    lif = DSRLIF()
    I = torch.linspace(-1.0, 8.0, 46)
    o = lif(I.expand(400, -1).contiguous())
    rate = o.detach().mean(0)
    target = torch.clamp(I / lif.tau, 0, lif.vth.item() / lif.dt)
    assert torch.all((rate - target).abs() <= lif.vth.item() + 1e-6)
    inside = (I > 1.0) & (I < 5.0)
    slope = np.polyfit(I[inside].numpy(), rate[inside].numpy(), 1)[0]
    assert abs(slope - 1.0 / lif.tau) < 0.1
    # gradient: 1/tau inside the linear range, 0 outside
    Ig = I.expand(6, -1).contiguous().requires_grad_(True)
    lif(Ig).sum().backward()
    g = Ig.grad.sum(0)
    assert torch.all(g[(I > 0.2) & (I < 5.8)] > 0) and torch.all(g[(I < 0) | (I > 6.2)] == 0)


def test_spiking_mlp_bptt_on_norse_learns_and_exposes_per_step_spikes():
    torch.manual_seed(0)
    net = SpikingMLP(20, 32, 3, T=5, training="bptt")
    x = torch.randn(60, 20)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
    logits, presyn = net(x)
    assert logits.shape == (60, 3) and presyn[1].shape == (5 * 60, 32)
    assert set(torch.unique(presyn[1]).tolist()) <= {0.0, 1.0}
    learner = FineTune(net, epochs=15, batch_size=20, lr=0.5, seed=0)
    before = learner.accuracy(0, x, y)
    learner.train_task(0, x, y)
    assert learner.accuracy(0, x, y) > max(before, 0.6)


def test_multi_head_selection_per_sample_matches_per_task():
    torch.manual_seed(1)
    net = ReLUMLP(10, 16, 2, n_heads=3)
    x = torch.randn(9, 10)
    task = torch.tensor([0, 1, 2] * 3)
    mixed, _ = net(x, task=task)
    for t in range(3):
        sel = task == t
        torch.testing.assert_close(mixed[sel], net(x[sel], task=t)[0])
    with pytest.raises(ValueError, match="task"):
        net(x)


def _digits_tasks(n_tasks=2):
    cfg = ContinualConfig(n_tasks=n_tasks, hidden=64, seed=3)
    return cfg, build_tasks(cfg)


def test_hlop_subspace_captures_old_activity_and_updates_are_orthogonal_to_it():
    cfg, data = _digits_tasks()
    torch.manual_seed(0)
    net = SpikingMLP(data.n_in, cfg.hidden, data.n_out, T=cfg.T)
    learner = HLOPLearner(net, hebb_iterations=30, epochs=2, seed=0, k_scale=2.0)
    learner.train_task(0, data.x_train[0], data.y_train[0])
    _, presyn = net(torch.as_tensor(data.x_test[0]))
    for sub, x in zip(learner.subspaces, presyn):
        H = sub.H.double()
        assert torch.linalg.norm(H @ H.T - torch.eye(sub.k, dtype=H.dtype)) < 0.05
        x = x.double()
        resid = torch.linalg.norm(x - (x @ H.T) @ H) / torch.linalg.norm(x)
        Q = torch.linalg.qr(torch.randn(sub.n_in, sub.k, dtype=torch.float64))[0]
        rand = torch.linalg.norm(x - (x @ Q) @ Q.T) / torch.linalg.norm(x)
        assert resid < 0.35 and resid < 0.5 * rand
    W0 = [lin.weight.detach().clone() for lin in net.linears]
    H_old = [sub.old().double().clone() for sub in learner.subspaces]
    learner.train_task(1, data.x_train[1], data.y_train[1])
    for lin, w0, sub, Ho in zip(net.linears, W0, learner.subspaces, H_old):
        dW = (lin.weight.detach() - w0).double()
        # zero up to the non-orthonormality of H_old (||H H^T - I|| < 0.05 above); an update in a
        # random direction would have a relative overlap of about sqrt(k / n)
        rel = torch.linalg.norm(dW @ Ho.T) / torch.linalg.norm(dW)
        assert rel < 0.1 * np.sqrt(Ho.shape[0] / Ho.shape[1])
        assert torch.linalg.norm(dW) > 0
        assert sub.n_frozen == sub.k and sub.k > Ho.shape[0]


def test_thresholds_learn_only_in_the_first_task():
    cfg, data = _digits_tasks()
    net = SpikingMLP(data.n_in, 32, data.n_out, T=4)
    learner = FineTune(net, epochs=1, seed=0)
    # scaled-up inputs saturate the rates, the only case where DSR gives Vth a gradient
    x0 = 20 * torch.as_tensor(data.x_train[0])
    v0 = [p.item() for p in net.spiking_parameters()]
    learner.train_task(0, x0, data.y_train[0])
    v1 = [p.item() for p in net.spiking_parameters()]
    learner.train_task(1, 20 * torch.as_tensor(data.x_train[1]), data.y_train[1])
    v2 = [p.item() for p in net.spiking_parameters()]
    assert v0 != v1 and v1 == v2
    assert all(not p.requires_grad for p in net.spiking_parameters())


def test_gpm_basis_grows_by_the_energy_criterion():
    rng = np.random.default_rng(0)
    n = 20
    U = np.linalg.qr(rng.standard_normal((n, n)))[0]
    R1 = U[:, :3] @ (rng.standard_normal((3, 100)) * np.array([[5.0], [4.0], [3.0]])) + 0.01 * rng.standard_normal((n, 100))
    M = extend_basis(None, R1, 0.99)
    assert M.shape[1] == 3
    np.testing.assert_allclose(M.T @ M, np.eye(3), atol=1e-10)
    R2 = U[:, 2:5] @ rng.standard_normal((3, 100)) * 4 + 0.01 * rng.standard_normal((n, 100))
    M2 = extend_basis(M, R2, 0.99)
    assert M2.shape[1] == 5
    np.testing.assert_allclose(M2.T @ M2, np.eye(5), atol=1e-8)
    with pytest.raises(ValueError, match="eps"):
        extend_basis(None, R1, 1.5)


@pytest.mark.parametrize("kwargs, word", [(dict(training="ottt"), "training"), (dict(T=0), "T"),
                                          (dict(hidden=0), "hidden")])
def test_bad_network_arguments(kwargs, word):
    args = dict(n_in=10, hidden=8, n_out=2)
    args.update(kwargs)
    with pytest.raises(ValueError, match=word):
        SpikingMLP(**args)
    with pytest.raises(ValueError, match="features"):
        SpikingMLP(10, 8, 2)(torch.zeros(3, 11))
