"""Continuous projections: gap junctions and rate coupling summed into the input current every
step; hand-computed step, reference == numba, equalisation of coupled cells."""
import numpy as np
import pytest

import spikesim as ss
from test_synapse_models import Integrator


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_gap_junction_hand_computed(backend):
    net = ss.Network(dt=0.1, backend=backend)
    a = net.add(ss.neurons.LIF(2, tau_m=10.0, v_th=0.0, v=np.array([-70.0, -60.0])), name="a")
    W = np.array([[0.0, 0.5], [0.5, 0.0]])                       # symmetric junction of conductance 0.5
    net.connect(a, a, W, synapse=ss.synapses.GapJunction())
    net.record(a, spikes=False, state="v")
    v = net.run(0.2).state("a", "v")
    # step 0: I_0 = 0.5 (-60 - -70) = 5, I_1 = -5; exact LIF step with R = 1
    e = np.exp(-0.1 / 10.0)
    for j, (v0, I) in enumerate([(-70.0, 5.0), (-60.0, -5.0)]):
        v_inf = -65.0 + I
        assert v[0, j] == pytest.approx(v_inf + (v0 - v_inf) * e, rel=1e-15)


def test_gap_junctions_equalise_and_backends_agree():
    def run(backend):
        rng = np.random.default_rng(2)
        net = ss.Network(dt=0.1, seed=3, backend=backend)
        a = net.add(ss.neurons.LIF(12, v=rng.uniform(-70, -55, 12), v_th=-50.0), name="a")
        b = net.add(Integrator(5), name="b")
        G = np.where(rng.random((12, 12)) < 0.5, 0.3, 0.0)
        np.fill_diagonal(G, 0.0)
        net.connect(a, a, (G + G.T) / 2, synapse=ss.synapses.GapJunction())
        net.connect(a, b, rng.uniform(0, 1, (12, 5)), synapse=ss.synapses.RateCoupling(theta=-60.0))
        net.inject(a, ss.inputs.GaussianCurrent(12.0, 2.0))
        net.record(a, state="v")
        net.record(b, spikes=False, state="v")
        return net.run(30.0)
    x, y = run("reference"), run("numba")
    np.testing.assert_array_equal(x.state("a", "v"), y.state("a", "v"))
    np.testing.assert_array_equal(x.state("b", "v"), y.state("b", "v"))
    assert y.state("b", "v")[-1].min() > 0                      # the rate coupling delivered current


def test_continuous_bad_input():
    net = ss.Network()
    a = net.add(ss.neurons.LIF(3), name="a")
    src = net.add(ss.inputs.Poisson(3, 5.0), name="src")
    with pytest.raises(ValueError, match="without delay"):
        net.connect(a, a, np.eye(3), delays=1.0, synapse=ss.synapses.GapJunction())
    with pytest.raises(ValueError, match="input"):
        net.connect(src, a, np.eye(3), synapse=ss.synapses.GapJunction())

    class Bad(ss.synapses.ContinuousModel):
        @staticmethod
        def coupling(w, u_pre):
            return w * u_pre

    with pytest.raises(ss.neurons.ModelError, match=r"coupling\(\) takes \['u_pre'\]"):
        net.connect(a, a, np.eye(3), synapse=Bad())
