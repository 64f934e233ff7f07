"""Paradigm ``images`` with ``inference=core``: Spikformer's test-set SOPs and energy are counted
by the network lowered to the core, next to the torch estimate, with the predictions' agreement."""
import pytest

from spikesim.paradigms import ConfigError, get


@pytest.mark.slow
def test_core_inference_counts_and_agrees():
    import torch
    torch.set_num_threads(1)
    p = get("images")
    cfg = p.make_config("digits", {"threads": "1", "device": "cpu", "inference": "core", "core_images": "30"})
    res = p.run(cfg, ["spikformer"], progress=False)
    m = res.metrics["spikformer"]
    assert m["core_images"] == 30
    # same spikes as torch up to float32/float64 rounding at a threshold: predictions agree
    assert m["core_agreement"] >= 0.95
    assert m["sops_per_image"] > 0 and m["core_attention_ops_per_image"] >= 0
    assert m["core_synaptic_events_per_image"] >= m["sops_per_image"] - m["core_attention_ops_per_image"]
    # the torch estimate (input rate x MACs per layer) counts a residual value 2 as one operation and
    # padded taps as synapses; the core counts actual synaptic events: same order of magnitude
    assert 0.5 < m["sops_per_image"] / m["sops_per_image_torch"] < 2.0
    assert m["energy_mj_per_image"] > 0


def test_inference_config_error():
    with pytest.raises(ConfigError, match="inference"):
        get("images").make_config("quick", {"inference": "gpu"})
    with pytest.raises(ConfigError, match="core_dtype"):
        get("images").make_config("quick", {"inference": "core", "core_dtype": "float16"})
    assert get("images").make_config("quick", {"core_dtype": "float32"}).core_dtype == "float32"
