"""Energy model (Spikformer App. C.2) and the hook-based MAC/SOP counter."""
import numpy as np
import pytest
import torch
from torch import nn

from spikesim.analysis.energy import OpCounter, conv2d_macs, energy_mj, linear_macs


def test_paper_energy_arithmetic_8_512():
    # first conv 3->64, 3x3, 224x224, x T=4 = 0.347 G MACs; 11.09 G SOPs -> 11.577 mJ (Table 2)
    macs = conv2d_macs(3, 64, 3, 224, 224) * 4
    assert macs / 1e9 == pytest.approx(0.347, abs=5e-4)
    assert energy_mj(macs, 11.09e9) == pytest.approx(11.577, abs=2e-3)
    # ANN Transformer-8-512: 8.33 G FLOPs x 4.6 pJ = 38.3 mJ
    assert energy_mj(8.33e9, 0) == pytest.approx(38.34, abs=0.05)


def test_energy_rejects_negative():
    with pytest.raises(ValueError):
        energy_mj(-1, 0)


def test_counter_macs_and_sops():
    torch.manual_seed(0)
    lin1, lin2 = nn.Linear(10, 6), nn.Linear(6, 3)
    model = nn.Sequential(lin1, nn.ReLU(), lin2)
    x = torch.randn(7, 10)
    with OpCounter(model, all_macs=True) as c:
        model(x)
    r = c.per_image(7)
    assert r["macs"] == pytest.approx(linear_macs(10, 6) + linear_macs(6, 3))
    # as an SNN with the first layer real-valued: the second layer costs (non-zero fraction) x MACs
    h = torch.relu(lin1(x))
    with OpCounter(model, mac_modules=("0",)) as c:
        model(x)
    r = c.per_image(7)
    frac = float((h != 0).float().mean())
    assert r["macs"] == pytest.approx(60)
    assert r["sops"] == pytest.approx(frac * 18, rel=1e-6)
    assert r["energy_mj"] == pytest.approx(energy_mj(60, frac * 18))


def test_counter_conv_macs_and_bad_names():
    conv = nn.Conv2d(2, 4, 3, padding=1)
    with OpCounter(conv, all_macs=True) as c:
        conv(torch.zeros(3, 2, 5, 5))
    assert c.per_image(3)["macs"] == conv2d_macs(2, 4, 3, 5, 5)
    with pytest.raises(ValueError, match="not in the model"):
        with OpCounter(conv, mac_modules=("nope",)):
            pass
    with pytest.raises(ValueError):
        c.per_image(0)


def test_ssa_costs_same_for_torch_and_numpy():
    from spikesim.analysis.energy import ssa_auto_order, ssa_event_cost, ssa_event_sops
    rng = np.random.default_rng(0)
    q, k, v = [(rng.random((5, 3, 9, 7)) < r).astype(np.float32) for r in (0.3, 0.2, 0.4)]
    t = [torch.from_numpy(a) for a in (q, k, v)]
    for a, b in zip(ssa_event_cost(q, k, v), ssa_event_cost(*t)):
        assert np.array_equal(a, b)
    assert np.array_equal(ssa_auto_order(q, k, v), ssa_auto_order(*t))
    assert ssa_event_sops(q, k, v) == ssa_event_sops(*t) > 0
    with pytest.raises(ValueError, match="share a shape"):
        ssa_event_cost(q, k[..., :3, :], v)
