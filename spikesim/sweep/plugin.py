"""The dask worker plugin that caps compute threads on every worker of a sweep (kept apart from
:mod:`spikesim.sweep.runner` so that importing the runner does not import dask)."""
from __future__ import annotations

from distributed import WorkerPlugin

from .runner import apply_thread_limits


class ThreadLimits(WorkerPlugin):
    """Apply :func:`spikesim.sweep.runner.apply_thread_limits` when a worker starts or joins,
    also on workers started outside spikesim (``dask worker ...``)."""

    name = "spikesim-thread-limits"

    def __init__(self, threads: int):
        self.threads = int(threads)

    def setup(self, worker):
        apply_thread_limits(self.threads)
