"""Layers import each other's public names only: no module of ``spikesim.nn``, ``spikesim.train``,
``models`` or ``paradigms`` imports a ``_private`` name of another module."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FILES = [p for d in (ROOT / "spikesim" / "nn", ROOT / "spikesim" / "train", ROOT / "models", ROOT / "paradigms")
         for p in sorted(d.rglob("*.py"))]


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_names_imported(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    bad = [f"{node.module}.{alias.name}" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
           for alias in node.names if alias.name.startswith("_") and node.module not in ("__future__",)]
    assert not bad, f"{path.name} imports private names {bad}"
