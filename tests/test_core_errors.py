"""Bad input gets a clear error that names the argument; a blow-up keeps what was recorded."""
import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import spikesim as ss


@given(st.one_of(st.floats(max_value=0.0), st.just(math.nan), st.just(math.inf), st.just(-math.inf)))
@settings(max_examples=25, deadline=None)
def test_bad_dt(dt):
    with pytest.raises(ValueError, match="dt"):
        ss.Network(dt=dt)


def test_unknown_backend():
    with pytest.raises(ValueError, match="backend"):
        ss.Network(dt=0.1, backend="fpga")


def _two_pops(**kw):
    net = ss.Network(dt=0.1, **kw)
    a = net.add(ss.neurons.LIF(3), name="a")
    b = net.add(ss.neurons.LIF(4), name="b")
    return net, a, b


def test_population_name_used_twice():
    net, a, b = _two_pops()
    with pytest.raises(ValueError, match="'a' is already used"):
        net.add(ss.neurons.LIF(2), name="a")


@given(st.floats(min_value=-5.0, max_value=0.0499))
@settings(max_examples=25, deadline=None)
def test_delay_below_one_step(delay):
    net, a, b = _two_pops()
    with pytest.raises(ValueError, match="below one step"):
        net.connect(a, b, np.ones((3, 4)), delays=delay)


def test_delay_above_ring():
    net, a, b = _two_pops(max_delay=2.0)
    with pytest.raises(ValueError, match="max_delay"):
        net.connect(a, b, np.ones((3, 4)), delays=2.5)


@pytest.mark.parametrize("weights", [np.ones((4, 3)), np.ones(12), sp.csr_matrix(np.ones((3, 5)))])
def test_weight_shape_mismatch(weights):
    net, a, b = _two_pops()
    with pytest.raises(ValueError, match="shape"):
        net.connect(a, b, weights)


def test_delay_shape_mismatch():
    net, a, b = _two_pops()
    with pytest.raises(ValueError, match="delays has shape"):
        net.connect(a, b, np.ones((3, 4)), delays=np.ones((4, 3)))


@given(st.sampled_from([math.nan, math.inf, -math.inf]), st.integers(0, 2), st.integers(0, 3))
@settings(max_examples=20, deadline=None)
def test_nan_weights(bad, i, j):
    net, a, b = _two_pops()
    w = np.ones((3, 4))
    w[i, j] = bad
    with pytest.raises(ValueError, match=f"synapse {i}->{j}"):
        net.connect(a, b, w)


def test_triplet_out_of_range_and_unknown_target():
    net, a, b = _two_pops()
    with pytest.raises(ValueError, match="post ids"):
        net.connect(a, b, ([0, 1], [0, 9], [1.0, 1.0]))
    with pytest.raises(ValueError, match="target"):
        net.connect(a, b, np.ones((3, 4)), target="g_ampa")


def test_unknown_population_and_state_variable():
    net, a, b = _two_pops()
    with pytest.raises(KeyError, match="'c'"):
        net.record("c")
    with pytest.raises(ValueError, match="no state variable 'u'"):
        net.record(a, state="u")


def test_current_shape_and_length():
    net, a, b = _two_pops()
    with pytest.raises(ValueError, match="shape"):
        net.inject(a, np.ones(5))
    with pytest.raises(ValueError, match="NaN"):
        net.inject(a, np.array([1.0, np.nan, 1.0]))
    net.inject(a, np.ones((10, 3)))
    with pytest.raises(ValueError, match="cover 10 steps"):
        net.run(2.0)


def test_duration_not_whole_steps():
    net, a, b = _two_pops()
    with pytest.raises(ValueError, match="whole number of steps"):
        net.run(1.05)


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_blow_up_stops_and_keeps_recording(backend):
    net = ss.Network(dt=1.0, backend=backend)
    izh = net.add(ss.neurons.Izhikevich(5, v_peak=1e308), name="izh")   # never resets
    net.inject(izh, 20.0)
    net.record(izh, state="v")
    with pytest.raises(ss.SimulationError, match=r"'izh' became NaN/inf at step \d+") as info:
        net.run(100.0)
    v = info.value.result.state("izh", "v")
    assert 0 < v.shape[0] < 100
    assert np.all(np.isfinite(v))
    # the network stops at the start of the failing step: steps 0 .. bad-1 completed and recorded
    bad = int(str(info.value).split("at step ")[1].split()[0])
    assert net.t == bad * net.dt and v.shape[0] == bad


def test_structure_frozen_after_run():
    net, a, b = _two_pops()
    net.run(1.0)
    with pytest.raises(RuntimeError, match="after the network has run"):
        net.connect(a, b, np.ones((3, 4)))


def test_bad_inputs():
    with pytest.raises(ValueError, match="same length"):
        ss.inputs.SpikeSource(3, times=[1.0, 2.0], ids=[0])
    with pytest.raises(ValueError, match="ids must lie"):
        ss.inputs.SpikeSource(3, times=[1.0], ids=[3])
    with pytest.raises(ValueError, match="rate_hz"):
        ss.inputs.Poisson(3, rate_hz=-1.0)
    with pytest.raises(ValueError, match="parameter 'a'"):
        ss.neurons.Izhikevich(3, a=[0.02, 0.02])


def test_generated_modules_import_safely_from_many_threads(tmp_path, monkeypatch):
    """Threads of one process (a dask worker with threads) building the same new kernel at once:
    every thread gets the one module (the temporary file was once shared by name and raced)."""
    import threading

    from spikesim import generated
    monkeypatch.setenv("SPIKESIM_CACHE_DIR", str(tmp_path))
    source = "VALUE = 42\n# " + str(tmp_path) + "\n"
    got, errors = [], []

    def work():
        try:
            got.append(generated.import_generated(source, "spikesim_race"))
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(got) == 8 and all(m is got[0] for m in got) and got[0].VALUE == 42
    assert not list(tmp_path.glob("*.tmp"))
