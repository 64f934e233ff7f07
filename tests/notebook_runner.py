"""Execute a notebook of ``notebooks/`` with extra environment variables; return its outputs."""
from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def run_notebook(name: str, env: dict[str, str], cwd: str | os.PathLike, timeout: int = 300):
    """Run ``notebooks/<name>`` top to bottom in ``cwd`` with ``env`` set (restored afterwards).
    Returns (notebook, all text outputs joined, number of PNG outputs)."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update({k: str(v) for k, v in env.items()})
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(cwd)}}).execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    text = "".join(o.get("text", "") for o in outputs)
    n_images = sum("image/png" in o.get("data", {}) for o in outputs)
    return nb, text, n_images
