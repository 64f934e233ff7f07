"""HLOP's DSR spiking MLP lowered to the core (models/hlop_mlp_lowering.py): the same spikes and
logits as the torch forward pass in float64, reference == numba bit for bit, the core's event
count, the DSR neuron's own steps, bad input refused; and the paradigm's ``inference=core``."""
import math

import numpy as np
import pytest
import torch

import spikesim as ss
from spikesim.models.hlop_mlp import SpikingMLP
from spikesim.models.hlop_mlp_lowering import CoreMLP, lower_mlp
from spikesim.paradigms import ConfigError, get


def _model(n_heads=2, T=6, seed=0, prune=0.0):
    """A DSR MLP with weights scaled up so both layers fire, distinct thresholds per layer."""
    torch.manual_seed(seed)
    m = SpikingMLP(40, hidden=30, n_out=4, n_heads=n_heads, T=T).eval()
    with torch.no_grad():
        for lin in m.linears:
            lin.weight.mul_(3.0)
            if prune:
                lin.weight.mul_((torch.rand_like(lin.weight) >= prune).float())
        m.lif1.vth.fill_(0.25)
        m.lif2.vth.fill_(0.4)
    return m


X = torch.rand(6, 40, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("backend", ["reference", "numba"])
@pytest.mark.parametrize("task", [0, 1])
def test_core_equals_torch_forward_in_float64(backend, task):
    core = lower_mlp(_model(), task=task, backend=backend)
    fired = np.zeros(2)
    for x in X:
        r = core.run(x)
        logits, spikes = core.torch_run(x)
        for k, name in enumerate(("lif1", "lif2")):
            np.testing.assert_array_equal(r["spikes"][name], spikes[name])
            fired[k] += spikes[name].sum()
        np.testing.assert_allclose(r["logits"], logits, rtol=0, atol=1e-12)
    assert fired.min() > 20             # both layers take part, so the comparison means something


def test_reference_equals_numba_bit_for_bit():
    m = _model()
    ref, nb = lower_mlp(m, 1, backend="reference"), lower_mlp(m, 1, backend="numba")
    a, b = ref.predict(X), nb.predict(X)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert a[2].sum() > 0


def test_events_are_spikes_times_out_degree_and_pruned_weights_are_not_synapses():
    m = _model(prune=0.5)
    core = lower_mlp(m, 0)
    r = core.run(X[0])
    w2 = m.fc2.weight.detach().numpy()
    head = m.head.weight.detach().numpy()[:4]
    expect = (r["spikes"]["lif1"].sum(0) * (w2 != 0).sum(0)).sum() + (r["spikes"]["lif2"].sum(0) * (head != 0).sum(0)).sum()
    assert r["synaptic_events"] == expect > 0
    assert r["synaptic_events"] == core.net.last_run_stats["synaptic_events"]
    assert r["macs"] == 40 * 30


def test_state_does_not_leak_between_samples():
    core = lower_mlp(_model(), 0)
    first = core.run(X[0])
    core.run(X[1])
    again = core.run(X[0])
    np.testing.assert_array_equal(first["logits"], again["logits"])
    assert first["synaptic_events"] == again["synaptic_events"]


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_dsr_neuron_steps_by_hand(backend):
    """u <- beta u + (1 - beta) x in its window, spike at u >= alpha v_th (then u - v_th), silent
    outside [on, off) even with u above threshold."""
    beta, vth, alpha, x = math.exp(-0.05), 0.3, 0.3, 4.0
    net = ss.Network(dt=1.0, seed=0, backend=backend)
    net.add(ss.neurons.DSRNeuron(1, beta=beta, v_th=vth, alpha=alpha, on=1.0, off=4.0), name="d")
    net.record("d", spikes=True, state="u")
    net.set_state("d", "x", x)
    res = net.run(6.0)
    u, fired = 0.0, []
    for step in range(6):
        u = beta * u + (1 - beta) * (x if 1 <= step < 4 else 0.0)
        if u >= alpha * vth and 1 <= step < 4:
            fired.append(float(step))
            u -= vth
    assert res.spikes("d")[0].tolist() == fired and len(fired) >= 1
    assert res.state("d", "u")[-1, 0] == u


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="DSR"):
        CoreMLP(SpikingMLP(10, 8, 2, T=2, training="bptt"))
    with pytest.raises(TypeError, match="SpikingMLP"):
        CoreMLP(torch.nn.Linear(3, 3))
    with pytest.raises(ValueError, match="task"):
        lower_mlp(_model(), task=2)
    core = lower_mlp(_model(), 0)
    with pytest.raises(ValueError, match="40"):
        core.run(np.zeros(39))
    with pytest.raises(ValueError, match="non-finite"):
        core.run(np.full(40, np.nan))
    with pytest.raises(ValueError, match="beta"):
        ss.neurons.DSRNeuron(2, beta=1.0)


def test_paradigm_inference_on_the_core_agrees_with_torch():
    p = get("continual")
    cfg = p.make_config("quick", {"n_tasks": "2", "hidden": "64", "epochs": "1", "T": "3", "hebb_iterations": "3",
                                  "inference": "core", "core_samples": "60"})
    res = p.run(cfg, ["hlop", "multitask"], progress=False)
    for method in ("hlop", "multitask"):
        m = res.metrics[method]
        assert m["core_samples_total"] == 120
        assert m["core_agreement"] >= 0.98            # float32 torch vs float64 core: rare ties may flip
        assert abs(m["core_accuracy"] - m["core_torch_accuracy"]) <= 0.02
        assert m["core_accuracy"] > 0.25 and m["core_synaptic_events_per_sample"] > 0     # chance: 0.1
    assert "on the core" in " ".join(k for k, _ in p.summary(res))
    with pytest.raises(ConfigError, match="DSR"):
        p.make_config("quick", {"inference": "core", "training": "bptt"})
    with pytest.raises(ConfigError, match="inference"):
        p.make_config("quick", {"inference": "gpu"})
    with pytest.raises(ConfigError, match="core_dtype"):
        p.make_config("quick", {"core_dtype": "int8"})


CUDA_SCRIPT = """
import numpy as np, torch
from test_hlop_mlp_core import X, _model
from spikesim.models.hlop_mlp_lowering import lower_mlp
m = _model()
a, b = lower_mlp(m, 1, backend="numba").predict(X), lower_mlp(m, 1, backend="cuda").predict(X)
print("EQUAL", all(np.array_equal(u, v) for u, v in zip(a, b)), int(a[2].sum()) > 0)
"""


def test_cuda_equals_numba_under_simulator():
    from cuda_sim import run_under_simulator
    proc = run_under_simulator("import sys; sys.path.insert(0, 'tests')\n" + CUDA_SCRIPT)
    assert "EQUAL True True" in proc.stdout, proc.stdout[-2000:]


def test_float32_lowering_gives_the_float64_spikes():
    """``dtype="float32"``: the same spikes and predictions as float64 on these inputs, logits
    within float32 rounding of the weights."""
    m = _model()
    a, b = lower_mlp(m, 1).predict(X), lower_mlp(m, 1, dtype="float32").predict(X)
    np.testing.assert_array_equal(a[0].argmax(1), b[0].argmax(1))
    np.testing.assert_allclose(a[0], b[0], rtol=0, atol=1e-5)
    for u, v in zip(a[1:], b[1:]):
        np.testing.assert_array_equal(u, v)
