"""Bad CLI invocations: one line on stderr, exit code 2 (user) or 1 (internal, pointing to
--debug), no traceback, and no output folder created."""
import os
import subprocess
import sys

import pytest

from spikesim import paradigms
from spikesim.cli import main

pytestmark = pytest.mark.timeout(120)


def _run(capsys, argv):
    try:
        rc = main(argv)
    except SystemExit as exc:      # main returns codes, but accept an exit too
        rc = exc.code
    cap = capsys.readouterr()
    return rc, cap.err


def _one_line(err):
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.endswith("\n"), repr(err)
    assert err.startswith("spikesim")


BAD_USER = [
    (["run", "no-such-paradigm"], "unknown paradigm"),
    (["frobnicate"], "invalid choice"),
    (["run"], "required"),
    (["run", "izhikevich-2003", "--bogus"], "unrecognized"),
    (["run", "izhikevich-2003", "--set", "novalue"], "key=value"),
    (["run", "izhikevich-2003", "--set", "=3"], "key=value"),
    (["run", "izhikevich-2003", "--set", "nope=1"], "no config key 'nope'"),
    (["run", "izhikevich-2003", "--set", "duration=abc"], "cannot convert"),
    (["run", "izhikevich-2003", "--set", "duration=nan"], "finite"),
    (["run", "izhikevich-2003", "--set", "duration=inf"], "finite"),
    (["run", "izhikevich-2003", "--set", "duration=-5"], "duration"),
    (["run", "izhikevich-2003", "--set", "n_exc=0"], "n_exc"),
    (["run", "izhikevich-2003", "--set", "n_exc=1.5"], "cannot convert"),
    (["run", "izhikevich-2003", "--set", "backend=fpga"], "backend"),
    (["run", "izhikevich-2003", "--set", "method=rk4"], "method"),
    (["run", "izhikevich-2003", "--set", "seed=-1"], "seed"),
    (["run", "izhikevich-2003", "--set", f"seed={2**64}"], "seed"),
    (["run", "izhikevich-2003", "--set", "thalamic_sd_exc=-1"], "thalamic"),
    (["run", "izhikevich-2003", "--preset", "huge"], "no preset"),
    (["run", "izhikevich-2003", "--model", "nope"], "no model"),
    (["run", "continual", "--set", "dataset=mnist"], "data_dir"),
    (["run", "continual", "--set", "dataset=mnist", "--set", "data_dir=/no/such/folder"], "no such file"),
    (["run", "continual", "--set", "hebb_lr=[1, {}]"], "hebb_lr"),
    (["run", "motion", "--set", "image_source=/no/such/images.npy"], "no such file"),
    (["run", "what-when", "--set", "dt=nan"], "finite"),
]


@pytest.mark.parametrize("argv,match", BAD_USER, ids=[" ".join(a)[:60] for a, _ in BAD_USER])
def test_user_errors_exit_2_one_line_no_folder(tmp_path, capsys, argv, match):
    out = tmp_path / "out"
    full = argv + (["--out", str(out)] if argv[:1] == ["run"] and len(argv) > 1 and argv[1] != "--bogus" else [])
    rc, err = _run(capsys, full)
    assert rc == 2, err
    _one_line(err)
    assert match in err
    assert not out.exists()


def test_data_dir_that_is_a_file(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    rc, err = _run(capsys, ["run", "continual", "--set", "dataset=mnist", "--set", f"data_dir={f}",
                            "--out", str(tmp_path / "o")])
    assert rc == 2 and "not a folder" in err
    _one_line(err)


def test_out_checks_before_any_work(tmp_path, capsys, monkeypatch):
    ran = []
    p = paradigms.get("izhikevich-2003")
    monkeypatch.setattr(type(p), "run", lambda self, cfg, models, progress=True: ran.append(1))
    afile = tmp_path / "afile"
    afile.write_text("x")
    rc, err = _run(capsys, ["run", "izhikevich-2003", "--out", str(afile)])
    assert rc == 2 and "not a folder" in err
    _one_line(err)
    rc, err = _run(capsys, ["run", "izhikevich-2003", "--out", str(afile / "sub")])
    assert rc == 2 and "not a folder" in err
    (tmp_path / "o" / "result.h5").mkdir(parents=True)
    rc, err = _run(capsys, ["run", "izhikevich-2003", "--out", str(tmp_path / "o")])
    assert rc == 2 and "result.h5 is a folder" in err
    _one_line(err)
    assert ran == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_out_not_writable(tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        rc, err = _run(capsys, ["run", "izhikevich-2003", "--out", str(ro / "x")])
        assert rc == 2 and "not writable" in err
    finally:
        ro.chmod(0o700)


def test_corrupt_data_is_a_user_error(tmp_path, capsys):
    """MNIST files with a wrong magic number: the reader's ValueError is a user error (2)."""
    data = tmp_path / "mnist"
    data.mkdir()
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        (data / name).write_bytes(b"\x00\x00\x00\x00garbage")
    out = tmp_path / "out"
    rc, err = _run(capsys, ["run", "continual", "--set", "dataset=mnist", "--set", f"data_dir={data}",
                            "--out", str(out), "--quiet"])
    assert rc == 2, err
    _one_line(err)
    assert "IDX" in err
    assert not out.exists()


def test_internal_error_exit_1_points_to_debug(tmp_path, capsys, monkeypatch):
    p = paradigms.get("izhikevich-2003")

    def boom(self, cfg, models, progress=True):
        raise RuntimeError("kernel exploded\nsecond line")
    monkeypatch.setattr(type(p), "run", boom)
    out = tmp_path / "out"
    rc, err = _run(capsys, ["run", "izhikevich-2003", "--out", str(out)])
    assert rc == 1
    _one_line(err)
    assert "internal error: RuntimeError: kernel exploded second line" in err and "--debug" in err
    assert not out.exists()
    rc, err = _run(capsys, ["--debug", "run", "izhikevich-2003", "--out", str(out)])
    assert rc == 1 and "Traceback" in err
    rc, err = _run(capsys, ["run", "izhikevich-2003", "--debug", "--out", str(out)])
    assert rc == 1 and "Traceback" in err


def test_ctrl_c_exit_130(tmp_path, capsys, monkeypatch):
    p = paradigms.get("izhikevich-2003")

    def interrupted(self, cfg, models, progress=True):
        raise KeyboardInterrupt
    monkeypatch.setattr(type(p), "run", interrupted)
    rc, err = _run(capsys, ["run", "izhikevich-2003", "--out", str(tmp_path / "o")])
    assert rc == 130 and err == "spikesim: interrupted\n"


def test_as_a_program_no_traceback(tmp_path):
    for argv in (["run", "izhikevich-2003", "--set", "duration=nan"], ["run", "izhikevich-2003", "--out", "/dev/null"],
                 ["nope"]):
        r = subprocess.run([sys.executable, "-m", "spikesim.cli", *argv], capture_output=True, text=True, timeout=120,
                           cwd=tmp_path)
        assert r.returncode == 2, r.stderr
        assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
