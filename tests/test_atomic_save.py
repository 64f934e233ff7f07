"""Saves under fire: SIGTERM / SIGINT / SIGKILL during Result.save leave no temporary file and
no corrupt result; Ctrl-C always interrupts; handlers are restored; files get the umask's mode."""
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import spikesim as ss
from spikesim.io.atomic import clean_stale

pytestmark = pytest.mark.timeout(120)

N_KEYS = 1500

CHILD = f"""
import sys
import numpy as np
from spikesim.core.result import Result
res = Result(metrics={{f"m{{k}}": np.full(32, float(k)) for k in range({N_KEYS})}}, config={{"n": {N_KEYS}}})
if sys.argv[2] == "big":   # one large gzip dataset: the signal lands inside HDF5's C code
    rng = np.random.default_rng(0)
    res._spikes = {{"p": (rng.random(1_500_000), rng.integers(0, 1000, 1_500_000))}}
print("ready", flush=True)
try:
    for _ in range(1000):
        res.save(sys.argv[1])
except KeyboardInterrupt:
    sys.exit(130)
sys.exit(0)
"""


def _tmps(folder: Path):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def _check_complete_or_absent(path: Path, mode: str = "many"):
    if path.exists():
        res = ss.load(path)
        assert len(res.metrics) == N_KEYS and res.config == {"n": N_KEYS}
        np.testing.assert_array_equal(res.metrics[f"m{N_KEYS - 1}"], np.full(32, N_KEYS - 1.0))
        if mode == "big":
            assert res.spikes("p")[0].size == 1_500_000


def _start_and_hit(tmp_path: Path, sig: int, delay: float, mode: str = "many"):
    """Start a saving child, wait until a save is in progress (+ ``delay``), send ``sig``."""
    path = tmp_path / "result.h5"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), mode], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 60
    while not _tmps(tmp_path):
        assert time.monotonic() < deadline, "the child never started a save"
        assert child.poll() is None
        time.sleep(0.002)
    time.sleep(delay)
    child.send_signal(sig)
    try:
        rc = child.wait(timeout=30)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        pytest.fail(f"signal {sig} did not interrupt the save (swallowed)")
    child.stdout.close()
    return path, rc


@pytest.mark.parametrize("sig,delay,mode", [
    (signal.SIGTERM, 0.0, "many"), (signal.SIGTERM, 0.05, "many"), (signal.SIGTERM, 0.1, "big"),
    (signal.SIGINT, 0.0, "many"), (signal.SIGINT, 0.03, "many"),
    # before the fix, 5 of 6 Ctrl-C's landing in a large gzip write were swallowed (the save went on)
    (signal.SIGINT, 0.05, "big"), (signal.SIGINT, 0.15, "big"), (signal.SIGINT, 0.25, "big")])
def test_signal_during_save_leaves_no_tmp_and_no_corrupt_file(tmp_path, sig, delay, mode):
    path, rc = _start_and_hit(tmp_path, sig, delay, mode)
    assert rc == (-signal.SIGTERM if sig == signal.SIGTERM else 130)
    assert _tmps(tmp_path) == []
    _check_complete_or_absent(path, mode)


def test_sigkill_leaves_tmp_that_next_save_cleans(tmp_path):
    path, rc = _start_and_hit(tmp_path, signal.SIGKILL, 0.02)
    assert rc == -signal.SIGKILL
    left = _tmps(tmp_path)
    assert len(left) == 1 and left[0].startswith("result.h5.")     # what SIGKILL leaves
    _check_complete_or_absent(path)
    ss.Result(metrics={"x": 1.0}).save(path)
    assert _tmps(tmp_path) == []
    assert ss.load(path).metrics == {"x": 1.0}


def test_stale_cleanup_spares_live_writers(tmp_path):
    target = tmp_path / "r.h5"
    live = tmp_path / f"r.h5.{os.getppid()}-abcd1234.tmp"      # our parent is alive
    dead = tmp_path / "r.h5.999999999-abcd1234.tmp"
    other = tmp_path / "other.h5.999999999-abcd1234.tmp"
    for p in (live, dead, other):
        p.write_bytes(b"x")
    assert clean_stale(target) == [dead]
    assert live.exists() and other.exists()


class _Signalling(list):
    """A metric value that sends a signal to this process while it is being written."""

    def __init__(self, sig):
        super().__init__([1.0, 2.0])
        self.sig = sig

    def __array__(self, dtype=None, copy=None):
        os.kill(os.getpid(), self.sig)
        return np.array([1.0, 2.0], dtype=dtype)


def test_ctrl_c_in_process_interrupts_and_restores_handler(tmp_path):
    """Python's own Ctrl-C handler for the test: the one the process inherited may be another
    library's (Brian2 wraps the handler it finds at import, and calls it) or SIG_IGN (a
    background job of a non-interactive shell), under which Ctrl-C raises nothing."""
    outer = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        res = ss.Result(metrics={"a": 1.0, "b": _Signalling(signal.SIGINT), "c": np.arange(3.0)})
        with pytest.raises(KeyboardInterrupt):
            res.save(tmp_path / "r.h5")
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        assert list(tmp_path.iterdir()) == []
    finally:
        signal.signal(signal.SIGINT, outer)


def test_custom_sigterm_handler_is_called_and_save_abandoned(tmp_path):
    calls = []
    previous = signal.signal(signal.SIGTERM, lambda s, f: calls.append(s))
    try:
        res = ss.Result(metrics={"b": _Signalling(signal.SIGTERM)})
        with pytest.raises(SystemExit):
            res.save(tmp_path / "r.h5")
        assert calls == [signal.SIGTERM]
        assert list(tmp_path.iterdir()) == []
        handler = signal.getsignal(signal.SIGTERM)
        assert handler is not None and handler.__name__ == "<lambda>"
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_exception_during_save_keeps_old_file(tmp_path):
    path = ss.Result(metrics={"v": 1.0}).save(tmp_path / "r.h5")
    with pytest.raises(TypeError):
        ss.Result(metrics={"v": 2.0, "bad": object()}).save(path)
    assert ss.load(path).metrics == {"v": 1.0}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.h5"]


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_file_mode_follows_umask(tmp_path, mask):
    old = os.umask(mask)
    try:
        path = ss.Result(metrics={"x": 1}).save(tmp_path / "r.h5")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


def test_save_over_a_directory_is_refused_before_writing(tmp_path):
    (tmp_path / "r.h5").mkdir()
    with pytest.raises(IsADirectoryError):
        ss.Result(metrics={"x": 1}).save(tmp_path / "r.h5")
    assert _tmps(tmp_path) == []
