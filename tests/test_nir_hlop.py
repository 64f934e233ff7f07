"""The HLOP spiking MLP (BPTT) exported to NIR runs back in the core with the same logits."""
import numpy as np
import pytest

pytest.importorskip("nir")
torch = pytest.importorskip("torch")

from spikesim.models.hlop_mlp import SpikingMLP  # noqa: E402
from spikesim.models.hlop_nir import mlp_to_nir, nir_logits  # noqa: E402


def _model(training="bptt"):
    torch.manual_seed(0)
    m = SpikingMLP(n_in=20, hidden=16, n_out=4, n_heads=2, T=6, training=training)
    with torch.no_grad():
        m.fc1.weight.mul_(6.0)
        m.fc2.weight.mul_(5.0)
    return m.double().eval()


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_bptt_mlp_through_nir_gives_the_models_logits(backend):
    m = _model()
    g, dt = mlp_to_nir(m, task=1)
    x = torch.rand(3, 20, dtype=torch.float64)
    with torch.no_grad():
        logits, presyn = m(x, task=1)
    assert presyn[2].sum() > 5                      # the second layer spikes
    for k in range(3):
        ours, res = nir_logits(g, x[k].numpy(), m.T, dt, backend=backend)
        np.testing.assert_allclose(ours, logits[k].numpy(), rtol=1e-12, atol=1e-12)
        assert res.meta["synaptic_events"] > 0


def test_dsr_mlp_is_refused():
    with pytest.raises(NotImplementedError, match="only the BPTT"):
        mlp_to_nir(_model("dsr"))


def test_soft_reset_survives_a_nir_file(tmp_path):
    import nir
    m = _model()
    g, dt = mlp_to_nir(m, task=0)
    nir.write(tmp_path / "mlp.nir", g)
    g2 = nir.read(tmp_path / "mlp.nir")
    assert g2.nodes["lif1"].metadata["spikesim.reset"] == "subtract"
    x = torch.rand(20, dtype=torch.float64)
    with torch.no_grad():
        logits, _ = m(x[None], task=0)
    np.testing.assert_allclose(nir_logits(g2, x.numpy(), m.T, dt, backend="reference")[0], logits[0].numpy(), rtol=1e-12, atol=1e-12)
