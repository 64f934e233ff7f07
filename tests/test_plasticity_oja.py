"""Oja's subspace rule on the core (spikesim.plasticity.oja) and the contract parts it needs
(pre_vars / post_vars, post_sums / pre_sums, gated): a hand-computed update, reference == numba
bit for bit, cuda (simulator) == numba, contract errors, and the Brian2 translator's refusal."""
import textwrap

import numpy as np
import pytest

import spikesim as ss
from spikesim.neurons.base import ModelError
from spikesim.plasticity import PlasticityRule
from cuda_sim import run_under_simulator



def oja_network(backend, seed=1, n=6, k=3, B=5, window=4, beta=0.8, eta=0.05, momentum=0.9):
    """Window-rate inputs (random per-step currents) -> k subspace neurons, the first frozen."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((B, n))
    H0 = rng.standard_normal((k, n)) * 0.3
    cur = np.repeat(X, window, axis=0) * rng.random((B * window, n))
    free = np.ones(k)
    free[0] = 0.0
    net = ss.Network(dt=1.0, seed=0, backend=backend)
    inp = net.add(ss.neurons.WindowRate(n, beta=beta, window=window), name="x")
    sub = net.add(ss.neurons.SubspaceNeuron(k, free=free), name="h")
    net.inject(inp, cur)
    M = np.zeros(len(cur))
    M[window - 1::window] = 1.0
    proj = net.connect(inp, sub, H0.T.copy(), delays=1.0, target="I",
                       plasticity=ss.plasticity.OjaSubspace(modulator=M, eta=eta, momentum=momentum))
    return net, proj, dict(H0=H0, cur=cur, free=free, window=window, beta=beta, eta=eta, momentum=momentum)


def hand_oja(H0, cur, free, window, beta, eta, momentum, d_max=10.0):
    """The rule's maths written out: x = the window's weighted rate, one Oja step per window."""
    H, mom = H0.copy(), np.zeros_like(H0)
    wts = beta ** np.arange(window - 1, -1, -1.0)
    for s in range(cur.shape[0] // window):
        x = wts @ cur[s * window:(s + 1) * window] / wts.sum()
        y = H @ x
        d = np.clip(np.outer(y, x - H.T @ y), -d_max, d_max)
        new_mom = momentum * mom + (1 - momentum) * d
        f = free[:, None] == 1.0
        mom = np.where(f, new_mom, mom)
        H = np.where(f, H + eta * new_mom, H)
    return H


def as_matrix(net, proj, k, n):
    H = np.zeros((k, n))
    H[proj.post_idx, proj.pre_idx] = net.weights(proj)
    return H


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_hand_computed_oja_updates_with_momentum_and_a_frozen_neuron(backend):
    net, proj, a = oja_network(backend)
    net.run(a["cur"].shape[0] * 1.0)
    H = as_matrix(net, proj, 3, 6)
    want = hand_oja(a["H0"], a["cur"], a["free"], a["window"], a["beta"], a["eta"], a["momentum"])
    np.testing.assert_array_equal(H[0], a["H0"][0])                  # the frozen neuron
    assert np.abs(H[1:] - a["H0"][1:]).max() > 1e-3                  # the free ones learned
    np.testing.assert_allclose(H, want, rtol=1e-12, atol=1e-14)


def test_reference_and_numba_are_bit_identical():
    w = {}
    for b in ("reference", "numba"):
        net, proj, a = oja_network(b, seed=3, n=9, k=4, B=7, window=3)
        net.run(a["cur"].shape[0] * 1.0)
        w[b] = net.weights(proj)
    np.testing.assert_array_equal(w["reference"], w["numba"])


CUDA_SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, "tests")
    import numpy as np
    from test_plasticity_oja import oja_network
    w = {}
    for b in ("numba", "cuda"):
        net, proj, a = oja_network(b, seed=3, n=9, k=4, B=7, window=3)
        net.run(a["cur"].shape[0] * 1.0)
        w[b] = net.weights(proj)
    print("EQUAL", np.array_equal(w["numba"], w["cuda"]), np.abs(w["numba"] - a["H0"].T.ravel()).max() > 0)
""")


def test_cuda_simulator_equals_numba():
    proc = run_under_simulator(CUDA_SCRIPT)
    assert "EQUAL True True" in proc.stdout, proc.stdout[-2000:]


def test_contract_errors_name_the_rule_and_the_names():
    with pytest.raises(ModelError, match="only after"):
        class SumInOnPost(PlasticityRule):
            params = {"eta": 1.0}
            post_sums = ("y",)
            modulated = False

            @staticmethod
            def post_sum_y(w):
                return w

            @staticmethod
            def on_post(w, y):
                return (w + y,)
        SumInOnPost()
    with pytest.raises(ModelError, match="gated = True needs modulated"):
        class GatedOnly(PlasticityRule):
            gated = True

            @staticmethod
            def after(w):
                return (w,)
        GatedOnly()
    with pytest.raises(ModelError, match=r"need the hooks \['pre_sum_r'\]"):
        class NoSumHook(PlasticityRule):
            pre_sums = ("r",)

            @staticmethod
            def after(w, r):
                return (w + r,)
        NoSumHook()
    net = ss.Network(dt=1.0, backend="reference")
    src = net.add(ss.inputs.SpikeSource(2, [1.0], [0]), name="src")
    sub = net.add(ss.neurons.SubspaceNeuron(2), name="h")
    net.connect(src, sub, np.eye(2), target="I", plasticity=ss.plasticity.OjaSubspace(modulator=np.zeros(5)))
    with pytest.raises(ValueError, match=r"pre_vars \['a'\] are not state variables of population 'src'"):
        net.run(5.0)


def test_brian2_translator_refuses_neuron_state_and_sums():
    pytest.importorskip("brian2")
    net, _, a = oja_network("numba")
    with pytest.raises(NotImplementedError, match="OjaSubspace uses pre_vars, post_vars, pre_sums, post_sums"):
        ss.compare.brian2.run(net, a["cur"].shape[0] * 1.0)


def test_window_rate_is_the_weighted_rate_of_each_window_and_checks_its_parameters():
    net = ss.Network(dt=1.0, backend="reference")
    u = net.add(ss.neurons.WindowRate(1, beta=0.5, window=3), name="u")
    net.inject(u, np.array([[1.0], [2.0], [4.0], [8.0], [0.0], [0.0]]))
    net.record(u, spikes=False, state=("a",))
    a = net.run(6.0).state("u", "a")[:, 0]
    np.testing.assert_allclose(a[[2, 5]], [(0.25 * 1 + 0.5 * 2 + 4) / 1.75, (0.25 * 8) / 1.75], rtol=1e-15)
    for kw, word in ((dict(beta=0.0), "beta"), (dict(beta=1.5), "beta"), (dict(window=0), "window")):
        with pytest.raises(ValueError, match=word):
            ss.neurons.WindowRate(2, **kw)
