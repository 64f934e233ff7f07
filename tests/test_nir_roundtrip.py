"""Core networks out to NIR and back: the same spikes."""
import numpy as np
import pytest

nir = pytest.importorskip("nir")

from nir_graphs import DT, hand_graph, spikes_in  # noqa: E402

import spikesim as ss  # noqa: E402
from spikesim.interop import nir as snir  # noqa: E402
from spikesim.neurons.nir_cuba import NIRCuba  # noqa: E402
from spikesim.neurons.nir_leaky import NIRLeaky  # noqa: E402
from spikesim.synapses import Pulse  # noqa: E402


@pytest.mark.parametrize("delay_steps", [0, 3])
def test_imported_network_exports_to_the_same_spikes(tmp_path, delay_steps):
    g = hand_graph(delay_steps=delay_steps)
    net, _ = snir.to_network(g, DT, backend="reference")
    g2 = snir.from_network(net)
    path = tmp_path / "g.nir"
    nir.write(path, g2)
    g3 = nir.read(path)
    x = spikes_in(150, 5, seed=11)
    a = snir.run(g, x, DT, backend="reference")
    assert a.sum() > 10
    np.testing.assert_array_equal(snir.run(g3, x, DT, backend="reference"), a)


def _hand_network(backend, T):
    rng = np.random.default_rng(2)
    dt_ms = DT * 1e3
    times = rng.integers(0, T, 120)
    ids = rng.integers(0, 4, 120)
    net = ss.Network(dt=dt_ms, backend=backend)
    net.add(ss.inputs.SpikeSource(4, times * dt_ms, ids), "src")
    net.add(NIRLeaky(6, "LIF", tau=2.0 ** -6 * 1e3, v_th=1.0), "a")
    net.add(NIRCuba(3, tau_syn=2.0 ** -7 * 1e3, tau_mem=2.0 ** -5 * 1e3, v_th=0.5), "b")
    net.connect("src", "a", rng.normal(3, 2, (4, 6)), synapse=Pulse())
    net.connect("a", "b", rng.normal(6, 3, (6, 3)), delays=2 * dt_ms, synapse=Pulse())
    net.connect("b", "b", rng.normal(0, 3, (3, 3)), synapse=Pulse())
    net.connect("a", "a", rng.normal(-1, 1, (6, 6)), delays=3 * dt_ms, synapse=Pulse())
    net.record("b")
    return net, times, ids


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_hand_built_network_exports_to_the_same_spikes(backend):
    T = 160
    net, times, ids = _hand_network(backend, T)
    res = net.run((T + 10) * DT * 1e3)
    g = snir.from_network(net)
    assert sum(isinstance(v, nir.Delay) for v in g.nodes.values()) == 2     # a->b needs 1 more step, a->a 2 more
    x = np.zeros((T, 4))
    x[times, ids] = 1.0
    out = snir.run(g, x, DT, backend=backend)
    t, i = res.spikes("b")
    steps = np.rint(t / (DT * 1e3)).astype(int) - 2                       # b runs 2 steps behind the graph
    raster = np.zeros((T, 3))
    keep = steps < T
    raster[steps[keep], i[keep]] = 1.0
    assert raster.sum() > 10
    np.testing.assert_array_equal(out, raster)


def test_export_refuses_what_nir_cannot_express():
    net = ss.Network(dt=1.0)
    net.add(ss.inputs.SpikeSource(2, [1.0], [0]), "src")
    net.add(ss.neurons.LIF(3), "lif")
    net.connect("src", "lif", np.ones((2, 3)))
    with pytest.raises(snir.NIRImportError, match=r"population 'lif' \(LIF\) has no NIR equivalent"):
        snir.from_network(net)
    net = ss.Network(dt=1.0)
    net.add(ss.inputs.SpikeSource(2, [1.0], [0]), "src")
    net.add(NIRLeaky(3), "a")
    net.connect("src", "a", np.ones((2, 3)))            # Delta("v") synapse
    with pytest.raises(snir.NIRImportError, match=r"projection src->a has a Delta synapse"):
        snir.from_network(net)
