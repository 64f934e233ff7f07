"""The scripting notebook runs top to bottom (on a short simulation)."""
import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def test_scripting_notebook_executes(tmp_path):
    nb = nbformat.read(ROOT / "notebooks" / "01_scripting_the_core.ipynb", as_version=4)
    os.environ["SPIKESIM_NB_DURATION"] = "200"
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        os.environ.pop("SPIKESIM_NB_DURATION", None)
    outputs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "exc:" in outputs and "Hz" in outputs
