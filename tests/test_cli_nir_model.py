"""``spikesim run continual --model nir:PATH``: a NIR graph scored like the built-in models."""
import numpy as np
import pytest

nir = pytest.importorskip("nir")
torch = pytest.importorskip("torch")

from spikesim.cli import main  # noqa: E402
from spikesim.core.result import load  # noqa: E402
from spikesim.models.hlop_mlp import SpikingMLP  # noqa: E402
from spikesim.models.hlop_nir import mlp_to_nir  # noqa: E402


def test_continual_scores_a_nir_graph_like_the_models(tmp_path):
    from spikesim.paradigms.continual import PARADIGM
    from spikesim.paradigms.continual.data import build_tasks
    torch.manual_seed(1)
    m = SpikingMLP(64, hidden=24, n_out=10, T=4, training="bptt")
    with torch.no_grad():
        m.fc1.weight.mul_(4.0)
        m.fc2.weight.mul_(4.0)
    g, _ = mlp_to_nir(m.double())
    path = tmp_path / "mlp.nir"
    nir.write(path, g)
    out = tmp_path / "out"
    rc = main(["run", "continual", "--model", f"nir:{path}", "--set", "n_tasks=2", "--set", "T=4", "--quiet",
               "--out", str(out)])
    assert rc == 0
    res = load(next(out.rglob("*.h5")))
    metrics = res.metrics["nir-mlp"]
    # the same accuracy as the torch model on every task's test set
    data = build_tasks(PARADIGM.make_config("quick", {"n_tasks": "2", "T": "4"}))
    with torch.no_grad():
        acc = [float((m(torch.as_tensor(np.asarray(x), dtype=torch.float64))[0].argmax(1).numpy() == np.asarray(y)).mean())
               for x, y in zip(data.x_test, data.y_test)]
    assert metrics["ACC"] == pytest.approx(np.mean(acc), abs=1e-12)
    assert metrics["BWT"] == pytest.approx(0.0, abs=1e-12)
    assert metrics["synaptic_events_per_sample"] > 0


def test_nir_model_with_wrong_shape_is_a_config_error(tmp_path, capsys):
    g = nir.NIRGraph.from_list(nir.Input(np.array([3])), nir.Linear(np.ones((2, 3))),
                               nir.LIF(tau=np.ones(2), r=np.ones(2), v_leak=np.zeros(2), v_threshold=np.ones(2)),
                               nir.Output(np.array([2])))
    nir.write(tmp_path / "small.nir", g)
    assert main(["run", "continual", "--model", f"nir:{tmp_path / 'small.nir'}", "--set", "n_tasks=1", "--quiet",
                 "--out", str(tmp_path / "o")]) == 2
    assert "takes 3 inputs and gives 2 outputs" in capsys.readouterr().err
    assert main(["run", "continual", "--model", "nir:/no/such.nir", "--quiet"]) == 2
