"""Spikformer V2: the SCS stems, the named configurations' parameter counts, and the model."""
import pytest
import torch

from spikesim.nn.scs import SCSOptionA, SCSOptionB, build_scs, token_grid
from spikesim.models.spikformer import Spikformer
from spikesim.models.spikformer_v2 import (PUBLISHED_PARAMETERS, SpikformerV2, count_parameters, named_config)


@pytest.mark.parametrize("name", sorted(PUBLISHED_PARAMETERS))
def test_named_configurations_match_published_parameter_counts(name):
    n = count_parameters(name)                       # built on the meta device: nothing allocated
    published = PUBLISHED_PARAMETERS[name]
    assert abs(n - published) / published < 0.03, (name, n, published)


def test_v2_stem_adds_about_83_d_squared_over_v1():
    # the sheet's check: V2 - V1 at equal L and D is ~83.4 D^2 and does not depend on depth
    extras = []
    for depth, dim, heads in ((8, 384, 8), (8, 512, 8), (16, 768, 12)):
        with torch.device("meta"):
            v1 = Spikformer(depth, dim, heads, 4, in_channels=3, num_classes=1000, qkv_bias=False,
                            pools=(True,) * 4)
        n1 = sum(p.numel() for p in v1.parameters())
        n2 = count_parameters(named_config(f"v2-{depth}-{dim}"))
        extras.append((n2 - n1) / dim ** 2)
    assert all(78 < e < 86 for e in extras), extras
    assert max(extras) - min(extras) < 0.5


def test_v1_imagenet_8_512_count_is_the_papers():
    with torch.device("meta"):
        v1 = Spikformer(8, 512, 8, 4, in_channels=3, num_classes=1000, qkv_bias=False, pools=(True,) * 4)
    assert abs(sum(p.numel() for p in v1.parameters()) - 29.689e6) < 0.001e6


@pytest.mark.parametrize("kind,kw,size,grid", [
    ("B", dict(strides=(2, 2, 2, 2)), 64, (4, 4)),          # ImageNet layout: total stride 16
    ("B", dict(strides=(1, 1, 2, 2)), 32, (8, 8)),          # CIFAR layout: 8 x 8 tokens
    ("A", dict(pools=(False, False, True, True)), 32, (8, 8)),
])
def test_stems_make_spiking_tokens_on_the_predicted_grid(kind, kw, size, grid):
    torch.manual_seed(0)
    stem = build_scs(kind, 3, 16, **kw)
    x = torch.randn(2, 3, 3, size, size)                     # [T, B, C, H, W]
    with torch.no_grad():
        tok = stem(x)
    assert tok.shape == (2, 3, grid[0] * grid[1], 16)
    assert token_grid(stem, size, size) == grid
    # spikes + SEW-ADD shortcut + RPE: non-negative integers, with some activity
    assert torch.equal(tok, tok.round()) and float(tok.min()) >= 0 and float(tok.sum()) > 0
    assert float(tok.max()) <= (3 if kind == "B" else 2)


def test_option_b_layer_list_and_option_a_extras():
    b = SCSOptionB(3, 64, strides=(1, 1, 2, 2), hidden_ratio=4.5)
    assert [s.conv.conv.out_channels for s in b.stages] == [8, 16, 32, 64]
    assert [s.conv.conv.stride[0] for s in b.stages] == [1, 1, 2, 2]
    assert b.block_in.conv.conv.out_channels == 288 and b.block_out.conv.conv.out_channels == 64
    a = SCSOptionA(3, 64, extra_half=2, extra_full=1)
    assert len(a.extra_half) == 2 and a.extra_half[0].conv.conv.in_channels == 32
    assert len(a.extra_full) == 1 and a.extra_full[0].conv.conv.in_channels == 64


def test_model_forward_backward_and_event_input():
    torch.manual_seed(1)
    m = SpikformerV2(depth=1, dim=16, heads=2, T=2, in_channels=1, num_classes=3, strides=(1, 2, 2, 2))
    x = torch.randn(4, 1, 16, 16)
    out = m(x)
    assert out.shape == (4, 3)
    out.sum().backward()
    assert m.stem.stages[0].conv.conv.weight.grad.abs().sum() > 0
    assert m(torch.randn(4, 2, 1, 16, 16)).shape == (4, 3)
    assert m.first_conv_name() in dict(m.named_modules())
    with pytest.raises(ValueError, match="T=3"):
        m(torch.randn(4, 3, 1, 16, 16))


def test_bad_configuration_is_named():
    with pytest.raises(ValueError, match="stem"):
        build_scs("C", 3, 16)
    with pytest.raises(ValueError, match="strides"):
        SCSOptionB(3, 16, strides=(2, 2, 3, 2))
    with pytest.raises(ValueError, match="dim"):
        SpikformerV2(dim=20, heads=4)
    with pytest.raises(ValueError, match="unknown Spikformer V2"):
        named_config("v2-4-999")
