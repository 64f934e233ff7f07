"""Run a sweep's points on ``dask.distributed``: a LocalCluster by default, or any scheduler.

Folder layout (``DIR`` = ``--out``)::

    DIR/sweep.json                   the sweep (paradigm, preset, models, grid, seeds, point hashes)
    DIR/sweep.h5                     the aggregated table (spikesim.sweep.aggregate)
    DIR/points/<hash>/point.json     what the point runs (paradigm, preset, overrides, seed)
    DIR/points/<hash>/result.h5      its result, written atomically by Result.save
    DIR/points/<hash>/error.json     only if it raised: exception type, message, traceback

A point is *done* when its ``result.h5`` exists (the atomic rename means it is complete); a
rerun submits only the points that are not done, so a sweep that was killed, or lost a worker,
resumes where it stopped. A point that raises writes ``error.json`` instead and the others go
on; a later rerun tries it again (after you fixed the cause). Each point writes only inside its
own folder.

Threads: every point runs with ``threads`` compute threads (torch, Numba's parallel loops, BLAS):
for a LocalCluster ``threads = max(1, cores // workers)`` and one task per worker, so
``workers * threads <= cores`` and nothing oversubscribes the machine. The limit is set three
ways because each library reads it at a different moment: the environment of the worker
processes (``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``,
``NUMBA_NUM_THREADS``, read when torch/Numba/BLAS load), a worker plugin that sets the same on
workers started elsewhere, and a call at the start of every task (``numba.set_num_threads`` is
per thread; ``torch.set_num_threads`` if torch is loaded).

Numba cache: kernels are compiled with ``cache=True``. Numba writes every cache file (index and
data) to a uniquely named temporary file and renames it into place, so two worker processes
compiling the same kernel at once both succeed, the last rename wins, and both files are
complete; readers never see a half-written file. ``NUMBA_CACHE_DIR`` in the submitting
environment is passed on to LocalCluster workers (a test runs two workers on a cold cache).
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .grid import SweepError, SweepSpec

THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")
_PASS_ENV = ("NUMBA_CACHE_DIR", "SPIKESIM_DATA", "PYTHONPATH", "MPLBACKEND")


# -- files -------------------------------------------------------------------------------------
def write_json_atomic(path: Path, obj: Any) -> None:
    """Write JSON to a temporary file in the same folder, then rename (never half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=1, sort_keys=True, default=str)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def point_dir(out: Path, hash_: str) -> Path:
    return Path(out) / "points" / hash_


def is_done(out: Path, hash_: str) -> bool:
    return (point_dir(out, hash_) / "result.h5").is_file()


# -- thread limits -----------------------------------------------------------------------------
def default_threads(n_workers: int, cores: int | None = None) -> int:
    """Compute threads per point so that workers x threads <= cores."""
    cores = cores or os.cpu_count() or 1
    return max(1, cores // max(1, n_workers))


def thread_env(threads: int) -> dict[str, str]:
    return {name: str(int(threads)) for name in THREAD_ENV}


def apply_thread_limits(threads: int) -> None:
    """Cap the compute threads of this process/thread (see the module docstring)."""
    os.environ.update(thread_env(threads))  # read by libraries loaded after this point
    if "numba" in sys.modules:
        import numba

        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    if "torch" in sys.modules:
        import torch

        if torch.get_num_threads() != int(threads):
            torch.set_num_threads(int(threads))


# -- one point (runs on a worker) --------------------------------------------------------------
def run_point(task: dict[str, Any], out: str, threads: int = 1) -> dict[str, Any]:
    """Run one point and write its folder; never raises for a failing paradigm run: the error
    and traceback go to ``error.json`` and the returned status."""
    t0, c0 = time.perf_counter(), time.thread_time()
    folder = point_dir(Path(out), task["hash"])
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.tmp"):  # left by a run that was killed while writing
        stale.unlink(missing_ok=True)
    status = {"hash": task["hash"], "params": task["params"], "seed": task["seed"]}
    try:
        apply_thread_limits(threads)
        from spikesim.paradigms import ConfigError
        import dataclasses

        from .grid import _plain, config_hash, resolve_paradigm

        paradigm = resolve_paradigm(task["paradigm"])
        try:
            cfg = paradigm.make_config(task["preset"], task["overrides"])
        except ConfigError as exc:
            raise SweepError(f"worker refused the config: {exc}") from None
        got = config_hash(paradigm.name, task["models"], _plain(dataclasses.asdict(cfg)))
        if got != task["hash"]:
            raise SweepError(f"the worker resolves this point to config {got}, not {task['hash']}: "
                             "is spikesim the same version on the workers as on the client?")
        write_json_atomic(folder / "point.json", {**task, "config": _plain(dataclasses.asdict(cfg))})
        result = paradigm.run(cfg, task["models"], progress=False)
        wall = time.perf_counter() - t0
        result.meta.setdefault("paradigm", task["paradigm"])
        result.meta.setdefault("preset", task["preset"])
        result.meta["wall_seconds"] = wall
        result.meta["cpu_seconds"] = time.thread_time() - c0  # this task's thread only
        result.meta["sweep_point"] = task["hash"]
        result.meta["sweep_params"] = json.dumps(task["params"], sort_keys=True, default=str)
        result.meta["sweep_seed"] = int(task["seed"])
        result.save(folder / "result.h5")
        (folder / "error.json").unlink(missing_ok=True)
        return {**status, "status": "done", "seconds": wall}
    except Exception as exc:  # noqa: BLE001 - every failure of a point is recorded, none is lost
        record = {**status, "status": "error", "type": type(exc).__name__, "message": str(exc),
                  "traceback": traceback.format_exc(), "seconds": time.perf_counter() - t0}
        write_json_atomic(folder / "error.json", record)
        return record


# -- the cluster -------------------------------------------------------------------------------
def connect(scheduler: str, timeout: float = 5.0):
    """A Client on ``scheduler`` (e.g. ``tcp://10.0.0.5:8786``); SweepError if unreachable."""
    from distributed import Client

    try:
        return Client(scheduler, timeout=f"{float(timeout)}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SweepError(f"cannot reach the dask scheduler at {scheduler!r} within {timeout:g} s "
                         f"({type(exc).__name__})") from None


def local_cluster(workers: int, threads: int):
    """A LocalCluster of ``workers`` processes with one task slot each, listening on 127.0.0.1
    only; the worker processes get the thread limits and the Numba cache folder in their env."""
    from distributed import LocalCluster

    import dask

    env = thread_env(threads)
    env.update({k: os.environ[k] for k in _PASS_ENV if k in os.environ})
    # dask sets MALLOC_TRIM_THRESHOLD_=65536 in every worker it spawns; that fixes glibc's mmap
    # threshold, so each large array is a fresh mmap and page-faults in: a full-preset
    # izhikevich-2003 point ran 1.3-2x slower with it in a plain process (measured). Unset it.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        return LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True, host="127.0.0.1",
                            dashboard_address="127.0.0.1:0", env=env, silence_logs=40)


@dataclass
class SweepRun:
    """What :func:`execute` did: hashes of points run now, already done before, and failed."""

    spec: SweepSpec
    out: Path
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: float = 0.0


def execute(spec: SweepSpec, out: Path, client, threads: int = 1, progress: bool = True) -> SweepRun:
    """Submit the points of ``spec`` that are not done to ``client``; wait for all of them."""
    from distributed import as_completed

    out = Path(out)
    t0 = time.perf_counter()
    run = SweepRun(spec, out)
    todo = []
    for p in spec.points:
        if is_done(out, p.hash):
            run.skipped.append(p.hash)
        else:
            todo.append(p)
    futures = {}
    if todo:
        from .plugin import ThreadLimits

        client.register_plugin(ThreadLimits(threads), name=ThreadLimits.name)
    for p in todo:
        fut = client.submit(run_point, p.task(spec), str(out.resolve()), threads, pure=False,
                            key=f"spikesim-point-{p.hash}-{os.getpid()}-{time.time_ns()}")
        futures[fut] = p
    bar = None
    if progress and futures:
        import importlib.util

        from tqdm.auto import tqdm

        link = getattr(client, "dashboard_link", None)
        if link and importlib.util.find_spec("bokeh") is not None:  # the dashboard needs bokeh
            print(f"dask dashboard: {link}", file=sys.stderr)
        bar = tqdm(total=len(futures), desc=f"sweep {spec.paradigm}", unit="point")
    try:
        for fut in (as_completed(list(futures), loop=client.loop) if futures else []):
            p = futures[fut]
            try:
                status = fut.result()
            except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: the worker died running it
                status = {"hash": p.hash, "params": p.params, "seed": p.seed, "status": "error",
                          "type": type(exc).__name__, "message": str(exc), "traceback": traceback.format_exc()}
                write_json_atomic(point_dir(out, p.hash) / "error.json", status)
            if status["status"] == "done":
                run.ran.append(p.hash)
            else:
                run.failed[p.hash] = status
            if bar is not None:
                bar.update(1)
                if run.failed:
                    bar.set_postfix(failed=len(run.failed))
    finally:
        if bar is not None:
            bar.close()
    run.seconds = time.perf_counter() - t0
    return run


def run(paradigm: str, grid=None, seeds=1, *, out, preset: str = "quick", overrides=None, models=None,
        client=None, scheduler: str | None = None, workers: int | None = None, threads: int | None = None,
        connect_timeout: float = 5.0, progress: bool = True, report: bool = False):
    """Run a sweep and aggregate it; returns :class:`spikesim.sweep.aggregate.SweepTable`.

    ``grid``: {key: [values]}; ``seeds``: a count N (the config's seed, +1, ..., +N-1) or a list;
    ``client``: an existing dask Client (left open), else ``scheduler`` (an address), else a new
    LocalCluster with ``workers`` processes (default: one per core). ``report=True`` also draws
    the curves into ``out/report/``. Raises SweepError for bad input before anything is written."""
    from . import aggregate
    from .grid import expand

    spec = expand(paradigm, grid, seeds, preset=preset, overrides=overrides, models=models)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SweepError(f"--out {str(out)!r} exists and is not a folder")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise SweepError(f"workers must be an integer >= 1, got {workers!r}")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise SweepError(f"threads must be an integer >= 1, got {threads!r}")
    if workers is not None and (client is not None or scheduler):
        raise SweepError("workers sets the size of spikesim's own LocalCluster; it cannot be combined "
                         "with a client or a scheduler address")
    own: list = []
    try:
        if client is None and scheduler:
            client = connect(scheduler, connect_timeout)
            own.append(client)
            threads = threads or 1
        elif client is None and all(is_done(out, p.hash) for p in spec.points):
            threads = threads or 1  # nothing to run: no cluster needed
        elif client is None:
            n = workers or os.cpu_count() or 1
            threads = threads or default_threads(n)
            cluster = local_cluster(n, threads)
            own.append(cluster)
            from distributed import Client

            client = Client(cluster, set_as_default=False)
            own.insert(0, client)
        else:
            threads = threads or 1
        out.mkdir(parents=True, exist_ok=True)
        write_json_atomic(out / "sweep.json", spec.describe())
        result = execute(spec, out, client, threads=threads, progress=progress)
    finally:
        for obj in own:
            obj.close()
    table = aggregate.write(result)
    if report:
        from .report import draw_curves

        table.figures = draw_curves(table, out / "report")
    return table
