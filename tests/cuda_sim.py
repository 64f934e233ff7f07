"""Running code under the numba-cuda simulator from a test: the simulator must be switched on
(``NUMBA_ENABLE_CUDASIM=1``) before numba is imported, so it runs in a fresh interpreter."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_under_simulator(script: str | None = None, *, pytest_args: list[str] | None = None,
                        env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run the Python ``script`` (``python -c``), or pytest with ``pytest_args``, in the project
    root under the simulator (plus the variables in ``env``); skip when numba-cuda is missing,
    fail with the output's tail when it exits non-zero. Returns the finished process."""
    pytest.importorskip("numba_cuda", reason="numba-cuda (the [cuda] or [dev] extra) is not installed")
    if (script is None) == (pytest_args is None):
        raise ValueError("give a script or pytest_args")
    cmd = [sys.executable, "-c", script] if script is not None else \
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *pytest_args]
    proc = subprocess.run(cmd, cwd=ROOT, env=dict(os.environ, NUMBA_ENABLE_CUDASIM="1", **(env or {})),
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
    return proc
