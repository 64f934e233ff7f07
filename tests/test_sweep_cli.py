"""``spikesim sweep`` bad input: one line on stderr, exit 2, nothing written."""
import socket

import pytest

from spikesim.cli import main


def _free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("args, match", [
    (["--grid", "nope=1,2"], "no config key 'nope'"),
    (["--grid", "duration="], "empty value list"),
    (["--grid", "duration=abc"], "duration='abc'"),
    (["--grid", "n_exc=1.5"], "n_exc"),
    (["--grid", "seed=1,2"], "use --seeds"),
    (["--seeds", "0"], "seeds must be >= 1"),
    (["--seeds", "two"], "--seeds expects"),
    (["--grid", "duration"], "--grid expects key=v1,v2"),
    (["--set", "duration"], "--set expects key=value"),
    (["--workers", "0"], "workers must be an integer >= 1"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "cannot be combined"),
    (["--model", "nope"], "no model 'nope'"),
    (["--scheduler", "tcp://127.0.0.1:{port}", "--connect-timeout", "1"], "cannot reach the dask scheduler"),
])
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, monkeypatch, capsys, args, match):
    monkeypatch.chdir(tmp_path)
    args = [a.format(port=_free_port()) for a in args]
    rc = main(["sweep", "izhikevich-2003", "--out", str(tmp_path / "sweep"), "--quiet", *args])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("spikesim sweep: error:")
    assert match in err
    assert list(tmp_path.iterdir()) == []


def test_unknown_paradigm_and_out_is_a_file(tmp_path, capsys):
    assert main(["sweep", "no-such", "--out", str(tmp_path / "s")]) == 2
    assert "unknown paradigm 'no-such'" in capsys.readouterr().err
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["sweep", "izhikevich-2003", "--out", str(f)]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
