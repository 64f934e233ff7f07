"""The layout of DESIGN section 2 holds: paradigms are packages (config + presets, run), training
loops are in spikesim/train (none in spikesim/nn), and reading a paradigm's config pays for no torch."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGED = ("izhikevich_2003", "motion", "continual", "images")     # what-when: moved by the lead


@pytest.mark.parametrize("name", PACKAGED)
def test_paradigm_is_a_package_with_config_and_run(name):
    pkg = ROOT / "paradigms" / name
    assert (pkg / "__init__.py").is_file() and (pkg / "config.py").is_file() and (pkg / "run.py").is_file()
    assert not (ROOT / "paradigms" / f"{name}.py").exists()
    tree = ast.parse((pkg / "config.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not {m for m in imported if m.endswith("run") or m.startswith("torch")}, "config must not import the run"


def test_no_training_loop_in_nn():
    """An optimiser step is a training loop: spikesim/nn holds layers only."""
    for path in sorted((ROOT / "spikesim" / "nn").glob("*.py")):
        text = path.read_text()
        assert "torch.optim" not in text and ".backward()" not in text, path.name


def test_no_whole_network_in_nn():
    """A classification head makes a module a whole network: those live in models/ (the
    Spikformer V1 / V2 networks in models/spikformer.py, models/spikformer_v2.py)."""
    for path in sorted((ROOT / "spikesim" / "nn").glob("*.py")):
        tree = ast.parse(path.read_text())
        heads = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "head"
                 and isinstance(n.value, ast.Name) and n.value.id == "self" and isinstance(n.ctx, ast.Store)]
        assert not heads, f"{path.name} defines a network with a classification head"


def test_config_and_show_import_no_torch():
    code = ("import sys, spikesim.paradigms as P\n"
            f"for n in {['izhikevich-2003', 'motion', 'continual', 'images']!r}:\n"
            "    p = P.get(n); p.make_config('quick'); P.config_fields(p.Config)\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("folder,forbidden", [
    ("spikesim/nn", ("spikesim.train", "spikesim.models", "spikesim.paradigms", "spikesim.cli")),
    ("spikesim/train", ("spikesim.models", "spikesim.paradigms", "spikesim.cli")),
    ("models", ("spikesim.paradigms", "spikesim.cli")),
])
def test_imports_run_one_way(folder, forbidden):
    """DESIGN section 2: cli -> paradigms -> models -> train -> nn, never back up."""
    for path in sorted((ROOT / folder).rglob("*.py")):
        tree = ast.parse(path.read_text())
        mods = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
        mods += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        bad = [m for m in mods if m.startswith(forbidden)]
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"
