"""Sweeps on dask.distributed (issue 13's bars):

* a 2-parameter x 3-seed sweep of izhikevich-2003 on a LocalCluster of 2 workers, and again on a
  scheduler and workers started as separate processes over TCP on 127.0.0.1: identical
  aggregated numbers;
* two workers compiling the same spikesim Numba kernel at once into a cold cache folder: both
  succeed, and fresh workers then load that cache (hits, no misses);
* a sweep killed (SIGKILL, client and workers) after its first points: the rerun runs only the
  missing points and leaves the finished ones untouched;
* a point that raises is recorded with its traceback while the others complete.
"""
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np
import pytest

import spikesim.sweep as sweep
from spikesim.cli import main
from spikesim.core.result import Result
from spikesim.paradigms import Paradigm

import distributed  # noqa: F401,E402 - the `sweep` extra, part of `dev`

pytestmark = pytest.mark.timeout(900)  # bounded even if a cluster hangs (each wait below is bounded too)

DASK = [sys.executable, "-m", "dask"]  # the `dask` command of this environment
IZH_GRID = {"thalamic_sd_exc": [4.0, 5.0], "thalamic_sd_inh": [2.0, 3.0]}
IZH_SET = {"duration": 200.0}
# Wall-clock metrics differ between any two runs; every other number must be identical.
TIMING = ("run_seconds", "seconds_per_simulated_second")


# -- a tiny paradigm of our own that raises at one grid value (found as "test_sweep_dask:TOY") ---
@dataclass
class ToyConfig:
    x: float = 1.0
    fail_at: float = 2.0
    seed: int = 0


class Toy(Paradigm):
    name = "toy"
    Config = ToyConfig
    models = ("toy",)

    def run(self, cfg, models, progress=True):
        if cfg.x == cfg.fail_at:
            raise RuntimeError(f"toy refuses x={cfg.x}")
        return Result(metrics={"y": 10 * cfg.x + cfg.seed}, config=dataclasses.asdict(cfg))


TOY = Toy()


@dataclass
class CacheToyConfig:
    n: int = 4
    seed: int = 0


class CacheToy(Paradigm):
    """Runs one of spikesim's cached Numba kernels (small, so it compiles in seconds) and reports
    the kernel's cache statistics in this worker process."""

    name = "cache-toy"
    Config = CacheToyConfig
    models = ("oja-traces",)

    def run(self, cfg, models, progress=True):
        steps, ids = _cache_toy_events(cfg)
        X = _traces_from_events(steps, ids, 5, cfg.n, 0.5)
        stats = _traces_from_events.stats
        return Result(metrics={"total": float(X.sum()), "cache_hits": sum(stats.cache_hits.values()),
                               "cache_misses": sum(stats.cache_misses.values())})


@numba.njit(cache=True)
def _traces_from_events(steps, ids, T, n, beta):
    """A small cached Numba kernel: exponential traces of spike events read at the end of a
    window of T steps, normalised (the weighted firing rate)."""
    X = np.zeros(n)
    norm = 0.0
    for t in range(T):
        norm += beta ** (T - 1 - t)
    for e in range(steps.shape[0]):
        X[ids[e]] += beta ** (T - 1 - steps[e])
    return X / norm


def _cache_toy_events(cfg):
    rng = np.random.default_rng(cfg.seed + 100 * cfg.n)
    return np.sort(rng.integers(0, 5, 20)), rng.integers(0, cfg.n, 20)


CACHE_TOY = CacheToy()


# -- helpers ---------------------------------------------------------------------------------------
def _stop(proc: subprocess.Popen) -> None:
    """End a process we started and its children (its own process group): TERM, then KILL."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=15)


@contextmanager
def tcp_cluster(tmp: Path, env: dict, n_workers: int = 2):
    """`dask scheduler` and `dask worker` as separate processes, on 127.0.0.1 only."""
    sched_file = tmp / "scheduler.json"
    common = dict(env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    procs = [subprocess.Popen([*DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(sched_file), "--idle-timeout", "300"], **common)]
    try:
        t0 = time.monotonic()
        while not sched_file.exists():
            assert procs[0].poll() is None, "dask scheduler exited"
            assert time.monotonic() - t0 < 60, "dask scheduler did not start within 60 s"
            time.sleep(0.1)
        time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        procs.append(subprocess.Popen([*DASK, "worker", address, "--host", "127.0.0.1", "--nworkers", str(n_workers),
                                       "--nthreads", "1", "--no-dashboard", "--death-timeout", "60",
                                       "--local-directory", str(tmp / "dask-worker-space")], **common))
        from distributed import Client

        with Client(address, timeout="30s", set_as_default=False) as client:
            client.wait_for_workers(n_workers, timeout=90)
            yield address, client
    finally:
        for p in reversed(procs):
            _stop(p)


@pytest.fixture(scope="module")
def tcp(tmp_path_factory):
    """One scheduler + 2 workers as separate processes for the whole module: (address, client)."""
    tmp = tmp_path_factory.mktemp("tcp-cluster")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    with tcp_cluster(tmp, env) as (address, client):
        yield address, client


def _rows(table) -> dict:
    """(point, seed, model, metric) -> value; NaN (e.g. an ISI CV without ISIs) as the string "nan"
    so that equal tables compare equal."""
    c = table.columns
    return {(c["point"][i], int(c["seed"][i]), c["model"][i], c["metric"][i]):
            float(c["value"][i]) if np.isfinite(c["value"][i]) else "nan"
            for i in range(len(table)) if c["metric"][i] not in TIMING}


# -- the bars --------------------------------------------------------------------------------------
def test_local_cluster_and_tcp_cluster_agree(tmp_path, tcp):
    local = sweep.run("izhikevich-2003", IZH_GRID, 3, overrides=IZH_SET, out=tmp_path / "local", workers=2,
                      progress=False)
    assert len(local.ran) == 12 and not local.failed and not local.skipped
    back = sweep.load(tmp_path / "local")
    assert _rows(back) == _rows(local) and list(back.points["status"]) == ["done"] * 12

    address, client = tcp
    over_tcp = sweep.run("izhikevich-2003", IZH_GRID, 3, overrides=IZH_SET, out=tmp_path / "tcp",
                         scheduler=address, progress=False)
    # the thread-limit plugin reached workers that spikesim did not start
    assert set(client.run(lambda: os.environ.get("NUMBA_NUM_THREADS")).values()) == {"1"}
    assert len(over_tcp.ran) == 12 and not over_tcp.failed
    rows = _rows(local)
    assert len(rows) == 12 * 5  # rate and ISI CV of two populations, synaptic events
    assert _rows(over_tcp) == rows
    # the numbers are real: more thalamic drive, higher excitatory rate, in every seed
    r = local.metric("exc/rate_hz")
    for seed in range(3):
        for sd_inh in (2.0, 3.0):
            m = (r["seed"] == seed) & (r["thalamic_sd_inh"] == sd_inh)
            lo, hi = (r["value"][m & (r["thalamic_sd_exc"] == v)][0] for v in (4.0, 5.0))
            assert hi > lo > 0


def test_killed_sweep_resumes_only_missing_points(tmp_path, tcp):
    out, cwd = tmp_path / "sweep", tmp_path / "cwd"
    cwd.mkdir()
    grid = ["--grid", "thalamic_sd_exc=4,5", "--grid", "thalamic_sd_inh=2,3", "--seeds", "2",
            "--set", "duration=500"]
    cmd = [sys.executable, "-m", "spikesim.cli", "sweep", "izhikevich-2003", *grid, "--out", str(out),
           "--workers", "1", "--quiet"]
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        t0 = time.monotonic()
        while not list(out.glob("points/*/result.h5")):
            assert proc.poll() is None, "the sweep exited before writing a result"
            assert time.monotonic() - t0 < 120, "no point finished within 120 s"
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)  # the client and its LocalCluster workers, at once
    finally:
        _stop(proc)
    done = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("points/*/result.h5")}
    assert 1 <= len(done) < 8, f"{len(done)} of 8 points done when killed"
    assert not (out / "sweep.h5").exists()

    # the rerun (here on the TCP cluster: a resumed sweep may move to another cluster)
    table = sweep.run("izhikevich-2003", {"thalamic_sd_exc": ["4", "5"], "thalamic_sd_inh": ["2", "3"]},
                      2, overrides={"duration": "500"}, out=out, scheduler=tcp[0], progress=False)
    assert sorted(table.skipped) == sorted(done)
    assert len(table.ran) == 8 - len(done) and not set(table.ran) & set(done)
    assert {p.parent.name: p.stat().st_mtime_ns for p in out.glob("points/*/result.h5") if p.parent.name in done} \
        == done
    assert list(table.points["status"]) == ["done"] * 8 and not list(out.rglob("*.tmp"))
    assert list(cwd.iterdir()) == []  # the runs wrote nothing outside the sweep folder


def test_a_raising_point_is_recorded_and_the_others_complete(tmp_path, tcp, capsys):
    args = ["sweep", "test_sweep_dask:TOY", "--grid", "x=1,2,3", "--seeds", "2", "--out", str(tmp_path),
            "--scheduler", tcp[0], "--quiet", "--report"]
    assert main(args) == 1
    captured = capsys.readouterr()
    assert captured.err.count("RuntimeError: toy refuses x=2.0") == 2
    table = sweep.load(tmp_path)
    status = dict(zip(table.points["x"], table.points["status"]))
    assert list(table.points["status"]) == ["done", "done", "error", "error", "done", "done"], status
    assert sorted(zip(table.columns["x"], table.columns["seed"], table.columns["value"])) == \
        [(1.0, 0, 10.0), (1.0, 1, 11.0), (3.0, 0, 30.0), (3.0, 1, 31.0)]
    bad = [h for h, s in zip(table.points["hash"], table.points["status"]) if s == "error"]
    for h in bad:
        rec = json.loads((tmp_path / "points" / h / "error.json").read_text())
        assert rec["type"] == "RuntimeError" and 'raise RuntimeError(f"toy refuses' in rec["traceback"]
        assert not (tmp_path / "points" / h / "result.h5").exists()
    assert "toy refuses" in table.points["traceback"][2]
    assert "figure: " in captured.out and (tmp_path / "report" / "toy__y.png").stat().st_size > 5000
    # a rerun retries only the failed points
    assert main(args) == 1
    assert "4 already done, 2 failed" in capsys.readouterr().out


def test_numba_cache_cold_concurrent_compiles(tmp_path, monkeypatch):
    from distributed import Client

    from spikesim.sweep.runner import local_cluster

    cache = tmp_path / "numba-cache"
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(cache))  # passed on to the LocalCluster workers
    with local_cluster(2, 1) as cluster, Client(cluster, set_as_default=False) as client:
        cold = sweep.run("test_sweep_dask:CACHE_TOY", {"n": [3, 4, 5, 6]}, 1, out=tmp_path / "cold", client=client,
                         progress=False)
        assert len(cold.ran) == 4 and not cold.failed
        assert list(cache.rglob("*_traces_from_events*.nbi")) and list(cache.rglob("*_traces_from_events*.nbc"))
        assert cold.metric("cache_misses")["value"].sum() >= 2, "both workers should have compiled (cold cache)"
        # fresh worker processes load what the two wrote at once: hits only
        client.restart(wait_for_workers=True)
        warm = sweep.run("test_sweep_dask:CACHE_TOY", {"n": [7, 8]}, 1, out=tmp_path / "warm", client=client,
                         progress=False)
    assert len(warm.ran) == 2 and not warm.failed
    assert warm.metric("cache_misses")["value"].sum() == 0 and (warm.metric("cache_hits")["value"] >= 1).all()
    # and the kernel computed the right numbers: sum over events of beta^(T-1-t) / sum_t beta^(T-1-t)
    for table in (cold, warm):
        tot = table.metric("total")
        for n, value in zip(tot["n"], tot["value"]):
            steps, _ = _cache_toy_events(CacheToyConfig(n=int(n)))
            expected = (0.5 ** (4 - steps)).sum() / (0.5 ** np.arange(5)).sum()
            assert value == pytest.approx(expected, rel=1e-12)
