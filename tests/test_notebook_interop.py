"""notebooks/07_interop.ipynb (norse -> NIR -> spikesim -> NWB) executes and shows what it claims."""
import re

import pytest

from notebook_runner import run_notebook


def test_interop_notebook_executes(tmp_path):
    for mod in ("norse", "nir", "pynwb", "sklearn"):
        pytest.importorskip(mod)
    _, text, _ = run_notebook("07_interop.ipynb", {"SPIKESIM_NB_EPOCHS": "3", "SPIKESIM_NB_BACKEND": "numba"}, tmp_path)
    assert "identical output spikes on 100/100 test digits" in text
    norse_acc, core_acc = map(int, re.search(r"accuracy: norse (\d+)%, spikesim core (\d+)%", text).groups())
    assert norse_acc == core_acc and core_acc > 30                   # chance is 10 %
    assert int(re.search(r"mean (\d+)", text).group(1)) > 0
    n_file, n_result = map(int, re.search(r"units, (\d+) spikes \(the result has (\d+)\)", text).groups())
    assert n_file == n_result > 0
    assert (tmp_path / "interop_run.nwb").exists()
