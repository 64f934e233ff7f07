"""Spikformer modules: parameter counts of the paper's configurations, shapes, binary Q/K/V,
the attention neuron's input grid, gradient flow, the ViT comparator, bad arguments."""
import pytest
import torch

from spikesim.models.spikformer import Spikformer
from spikesim.nn.spikformer import SSA, spiking_attention
from spikesim.models.adapters.vit_net import ViT


def _n(m):
    return sum(p.numel() for p in m.parameters())


def test_parameter_counts_match_paper():
    # structural counts of the authors' CIFAR model without the unused LayerNorms (spec section 1.9)
    assert _n(Spikformer(4, 384, 12, 4, in_channels=3, num_classes=10)) == 9_324_730
    assert abs(_n(Spikformer(4, 256, 8, 4, in_channels=3, num_classes=10)) / 1e6 - 4.15) < 0.01
    assert abs(_n(Spikformer(2, 384, 12, 4, in_channels=3, num_classes=10)) / 1e6 - 5.76) < 0.01


def test_forward_shapes_static_and_event_input():
    torch.manual_seed(0)
    m = Spikformer(1, 32, 2, 3, in_channels=2, num_classes=5, pools=(True, True, False, False))
    assert m(torch.rand(4, 2, 12, 12)).shape == (4, 5)
    assert m(torch.rand(4, 3, 2, 12, 12)).shape == (4, 5)         # [B, T, C, H, W] events
    with pytest.raises(ValueError, match="T="):
        m(torch.rand(4, 2, 2, 12, 12))
    with pytest.raises(ValueError, match="shape"):
        m(torch.rand(2, 12, 12))


def test_qkv_binary_and_attention_input_on_scale_grid():
    torch.manual_seed(1)
    m = Spikformer(2, 64, 4, 4, in_channels=1, num_classes=10, pools=(True, True, False, False)).eval()
    seen = {}

    def hook(mod, inp, out):
        seen.setdefault("attn_in", inp[0])
    blk = m.blocks[0].attn
    blk.record = True
    h = blk.attn_lif.register_forward_hook(hook)
    m(torch.rand(3, 1, 16, 16) * 3)
    h.remove()
    q, k, v = blk.last_qkv
    for a in (q, k, v):
        assert set(torch.unique(a).tolist()) <= {0.0, 1.0}
    assert q.shape == (4, 3, 4, 16, 16)          # [T, B, heads, N, d]
    x = seen["attn_in"] / 0.125
    assert torch.equal(x, torch.round(x))          # integer multiples of the scale
    assert torch.equal(spiking_attention(q, k, v, 0.125), ((q @ k.transpose(-2, -1)) @ v) * 0.125)


def test_gradients_reach_the_stem_and_learnable_scale():
    torch.manual_seed(2)
    m = Spikformer(1, 32, 2, 2, in_channels=1, num_classes=3, pools=(True, False, False, False), learn_scale=True)
    loss = torch.nn.functional.cross_entropy(m(torch.rand(6, 1, 8, 8) * 4), torch.tensor([0, 1, 2, 0, 1, 2]))
    loss.backward()
    assert m.sps.stages[0].conv.weight.grad.abs().sum() > 0
    assert m.blocks[0].attn.scale.requires_grad and m.blocks[0].attn.scale.grad is not None


def test_vit_same_width_and_depth():
    torch.manual_seed(3)
    v = ViT(2, 64, 4, in_channels=1, num_classes=10, pools=(True, True, False, False))
    s = Spikformer(2, 64, 4, 4, in_channels=1, num_classes=10, pools=(True, True, False, False))
    assert v(torch.rand(2, 1, 16, 16)).shape == (2, 10)
    assert abs(_n(v) - _n(s)) / _n(s) < 0.01       # same layers; only activations and attention differ


@pytest.mark.parametrize("kw", [dict(dim=30), dict(heads=5), dict(depth=0), dict(T=0), dict(pools=(True,))])
def test_bad_arguments(kw):
    args = dict(depth=1, dim=32, heads=2, T=2, pools=(False, False, True, True))
    args.update(kw)
    with pytest.raises(ValueError):
        Spikformer(args["depth"], args["dim"], args["heads"], args["T"], pools=args["pools"])


def test_ssa_bad_heads():
    with pytest.raises(ValueError, match="divisible"):
        SSA(32, 3)


def test_event_driven_ssa_reproduces_the_model_attention_spikes():
    # the core's event-driven attention on the model's own Q/K/V spikes gives the same attention-
    # neuron input, hence the same attention spikes, as the dense torch forward pass
    import numpy as np

    from spikesim.analysis.energy import ssa_event_sops
    from tests.attention_networks import run_attention
    torch.manual_seed(4)
    # scale 1: the untrained net's sparse Q K^T V still reaches the 0.5 threshold
    m = Spikformer(1, 64, 4, 4, in_channels=1, num_classes=10, pools=(True, True, False, False), scale=1.0)
    blk = m.blocks[0].attn
    blk.record = True
    seen = {}
    h1 = blk.attn_lif.register_forward_hook(lambda mod, inp, out: seen.update(x=inp[0], s=out))
    m.train()                          # batch statistics: the untrained net is active
    m(torch.rand(2, 1, 16, 16) * 3)
    h1.remove()
    q, k, v = blk.last_qkv
    T, B, h, N, d = q.shape
    tok = lambda a, b: a[:, b].permute(0, 2, 1, 3).reshape(T, N, h * d).detach().numpy() != 0  # noqa: E731
    sops = 0
    for b in range(B):
        y, ops, _, _ = run_attention(tok(q, b), tok(k, b), tok(v, b), h, scale=float(blk.scale))
        assert np.array_equal(y, seen["x"][:, b].detach().double().numpy())
        sops += ops
    assert torch.equal(blk.attn_lif(seen["x"]), seen["s"]) and seen["s"].sum() > 0
    assert sops == ssa_event_sops(q, k, v) > 0
