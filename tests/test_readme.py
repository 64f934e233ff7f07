"""The README's scripting example runs as printed."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_scripting_example_runs(tmp_path, monkeypatch):
    text = (ROOT / "README.md").read_text()
    code = re.search(r"## Scripting example\s+```python\n(.*?)```", text, re.S).group(1)
    assert len(code.strip().splitlines()) <= 12
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    t, i = scope["back"].spikes("exc")
    assert t.size > 100 and (tmp_path / "run.h5").exists()
    assert scope["back"].state("exc", "v").shape == (1000, 400)   # 10,000 steps, every 10th
