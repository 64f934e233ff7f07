"""The scripting notebook runs top to bottom (on a short simulation)."""
from notebook_runner import run_notebook


def test_scripting_notebook_executes(tmp_path):
    _, text, _ = run_notebook("01_scripting_the_core.ipynb", {"SPIKESIM_NB_DURATION": "200"}, tmp_path)
    assert "exc:" in text and "Hz" in text
