"""What a process pays before simulating: ``import spikesim`` loads no heavy optional module
(h5py, torch, matplotlib, scipy; numba only when a numba network is made), and the numba
backend's start (``spikesim/backends/numba_cpu/startup.py``) freezes the objects then alive out
of the cyclic garbage collector, unless ``SPIKESIM_GC_FREEZE=0``."""
import json
import os
import subprocess
import sys

import pytest

HEAVY = ("h5py", "torch", "matplotlib", "scipy", "numba", "pandas", "brian2", "nir", "dask")


def child(code: str, **env) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, **env))
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_spikesim_loads_no_heavy_module():
    got = child("import json, sys, spikesim as ss\n"
                "ss.Network, ss.neurons.LIF, ss.inputs.Poisson, ss.synapses, ss.connectivity, ss.Result\n"
                f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))")
    assert got == []


def test_saving_a_result_still_loads_h5py_on_demand(tmp_path):
    path = tmp_path / "r.h5"
    got = child("import json, sys, numpy as np, spikesim as ss\n"
                "net = ss.Network(backend='reference'); p = net.add(ss.neurons.LIF(3), name='p'); net.record(p)\n"
                "res = net.run(1.0); before = 'h5py' in sys.modules\n"
                f"res.save({str(path)!r}); back = ss.load({str(path)!r})\n"
                "print(json.dumps([before, 'h5py' in sys.modules, back.spikes('p')[0].size]))")
    assert got == [False, True, 0]


@pytest.mark.parametrize("freeze", ["1", "0"])
def test_numba_start_freezes_the_gc_unless_turned_off(freeze):
    got = child("import gc, json, sys, spikesim as ss\n"
                "n0 = gc.get_freeze_count(); net = ss.Network(backend='numba')\n"
                "print(json.dumps([n0, gc.get_freeze_count(), 'numba' in sys.modules, gc.isenabled()]))",
                SPIKESIM_GC_FREEZE=freeze)
    n0, n1, numba_loaded, enabled = got
    assert n0 == 0 and numba_loaded and enabled
    if freeze == "1":
        assert n1 > 10_000          # the interpreter's, numpy's and numba's objects
    else:
        assert n1 == 0


@pytest.mark.parametrize("lazy", ["1", "0"])
def test_numba_start_defers_scipy_and_keeps_numbas_blas_flag(lazy):
    """A numba network runs without importing scipy; Numba's BLAS flag is still True (scipy is
    installed here), and np.dot in a user's njit function imports scipy when it compiles."""
    got = child("import json, sys, numpy as np, spikesim as ss\n"
                "net = ss.Network(backend='numba'); p = net.add(ss.neurons.LIF(5, v=-40.0), name='p')\n"
                "net.record(p); n = net.run(1.0).spikes('p')[0].size\n"
                "before = 'scipy' in sys.modules\n"
                "from numba import njit\n"
                "from numba.np import arraymath\n"
                "dot = njit(lambda a, b: np.dot(a, b))\n"
                "print(json.dumps([n, before, bool(arraymath._HAVE_BLAS), float(dot(np.ones(3), np.ones(3))),"
                " 'scipy' in sys.modules, any(type(f).__name__ == '_RefuseImport' for f in sys.meta_path)]))",
                SPIKESIM_LAZY_SCIPY=lazy)
    n, before, have_blas, dot, after, finder_left = got
    assert n == 5 and have_blas and dot == 3.0 and after and not finder_left
    assert before is (lazy == "0")
