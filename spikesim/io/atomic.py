"""Atomic file writing that survives exceptions and signals (used by ``Result.save``).

``with atomic_write(path) as (tmp, checkpoint): ...`` writes to ``tmp`` and renames it to ``path``
on success, so readers see either the old file or the complete new one.

* The temporary file is ``<name>.<pid>-<random>.tmp`` in the target's folder, created with mode
  0666 so the kernel applies the umask (the final file gets the umask's mode, as ``open`` would).
* Any exception removes it.
* SIGINT and SIGTERM are caught around the write (main thread only): the handler only records
  the signal; ``checkpoint()``, called by the writer between datasets, and the end of the block
  act on it: the temporary file is removed, the previous handlers are restored and the signal
  is delivered again to them, so Ctrl-C always raises KeyboardInterrupt and SIGTERM still
  terminates the process. (Raising from inside the handler could land in HDF5 code that
  swallows exceptions.)
* A ``SIGKILL`` cannot be caught; the next save to the same path removes temporary files whose
  process is gone.
"""
from __future__ import annotations

import contextlib
import errno
import os
import secrets
import signal
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

_SIGNALS = tuple(s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None)) if s is not None)
LEGACY_STALE_SECONDS = 3600.0   # tmp files without a pid in their name (older versions): removed after this age


class _Interrupted(BaseException):
    """Unwinds the writer when a signal arrived; never escapes :func:`atomic_write`."""


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return True
    try:   # a killed child that was not reaped yet is a zombie: dead for our purpose
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def clean_stale(path: Path) -> list[Path]:
    """Remove ``<name>.<pid>-<hex>.tmp`` files next to ``path`` whose writer process is gone
    (and pid-less ``<name>.*.tmp`` files older than an hour). Returns what was removed."""
    removed = []
    prefix = path.name + "."
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(".tmp")) or not entry.is_file(follow_symlinks=False):
            continue
        middle = name[len(prefix):-len(".tmp")]
        pid_text, _, rand = middle.partition("-")
        if pid_text.isdigit() and rand:
            pid = int(pid_text)
            stale = pid != os.getpid() and not _pid_alive(pid)
        else:
            try:
                stale = time.time() - entry.stat(follow_symlinks=False).st_mtime > LEGACY_STALE_SECONDS
            except OSError:
                stale = False
        if stale:
            with contextlib.suppress(FileNotFoundError):
                os.remove(entry.path)
                removed.append(Path(entry.path))
    return removed


def _new_tmp(path: Path) -> Path:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = path.parent / f"{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(errno.EEXIST, "could not create a unique temporary file", str(path))  # pragma: no cover


class _SignalGuard:
    """Records SIGINT/SIGTERM while installed; restores and re-delivers on :meth:`close`."""

    def __init__(self):
        self.pending: int | None = None
        self.previous: dict[int, object] = {}
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in _SIGNALS:
            prev = signal.getsignal(sig)
            if prev is signal.SIG_IGN or prev is None:   # ignored (or set from C): leave it alone
                continue
            try:
                signal.signal(sig, self._handler)
            except (ValueError, OSError):   # pragma: no cover - not the main interpreter
                continue
            self.previous[sig] = prev

    def _handler(self, signum, frame) -> None:
        if self.pending is None:
            self.pending = signum

    def checkpoint(self) -> None:
        if self.pending is not None:
            raise _Interrupted()

    def close(self) -> None:
        """Restore the previous handlers, then hand a recorded signal to them."""
        for sig, prev in self.previous.items():
            signal.signal(sig, prev)
        self.previous = {}
        if self.pending is not None:
            signum, self.pending = self.pending, None
            signal.raise_signal(signum)   # runs the restored handler (KeyboardInterrupt, termination, ...)
            # a handler that returned normally: the save was abandoned, say so
            if signum == getattr(signal, "SIGINT", None):
                raise KeyboardInterrupt
            raise SystemExit(128 + signum)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[tuple[Path, Callable[[], None]]]:
    """Yield ``(tmp_path, checkpoint)``; on normal exit rename ``tmp_path`` to ``path``."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "cannot write a file over a directory", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(path)
    guard = _SignalGuard()
    tmp = None
    try:
        tmp = _new_tmp(path)
        yield tmp, guard.checkpoint
        guard.checkpoint()
        os.replace(tmp, path)
        tmp = None
    except _Interrupted:
        pass                      # the signal is re-delivered by guard.close() below
    finally:
        if tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.remove(tmp)
        guard.close()
