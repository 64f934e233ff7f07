"""A user's small script as a whole process, warm kernel cache: 4,000 LIF neurons (80 % exc /
20 % inh, p = 0.02 recurrent), 1,000 Poisson inputs at 20 Hz (p = 0.05), 100 ms, spikes recorded.

    python benchmarks/small_script.py [--runs 7] [--threads 1] [--no-bytecode]

Runs the script once to fill the cache, then ``--runs`` times in fresh processes, and reports
the median and min wall time of the whole process (``python -c``, interpreter start included),
the CPU time of those processes (user + system: what the wall time would be on idle cores, less
any waiting), plus ``python -X importtime`` of ``import spikesim`` (the slowest imports) and the load average.

"Warm cache" is the kernel cache and Python's bytecode cache, as for any installed package: the
children run with ``PYTHONDONTWRITEBYTECODE`` removed from their environment, so the first run
writes spikesim's (and the generated kernel module's) ``.pyc`` files; ``--no-bytecode`` keeps
the variable (every process then compiles spikesim's sources again, about 0.07 s more).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

SCRIPT = r'''
import numpy as np
import spikesim as ss
rng = np.random.default_rng(1)
N, Ne = 4000, 3200
net = ss.Network(dt=0.1, seed=1, threads=THREADS)
exc = net.add(ss.neurons.LIF(Ne, v0=rng.uniform(-65, -50, Ne)), name="exc")
inh = net.add(ss.neurons.LIF(N - Ne, v0=rng.uniform(-65, -50, N - Ne)), name="inh")
bg = net.add(ss.inputs.Poisson(1000, rate_hz=20.0), name="bg")
for pre, n_pre, w in ((exc, Ne, 0.5), (inh, N - Ne, -2.0)):
    for post, n_post in ((exc, Ne), (inh, N - Ne)):
        i, j = np.nonzero(rng.random((n_pre, n_post)) < 0.02)
        net.connect(pre, post, (i, j, np.full(i.size, w)), delays=1.5, target="I_syn")
for post, n_post in ((exc, Ne), (inh, N - Ne)):
    i, j = np.nonzero(rng.random((1000, n_post)) < 0.05)
    net.connect(bg, post, (i, j, np.full(i.size, 3.0)), delays=0.5, target="I_syn")
net.record(exc)
net.record(inh)
res = net.run(100.0)
print(sum(res.spikes(p)[0].size for p in ("exc", "inh")))
'''


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_once(code: str, env: dict, cpu: list | None = None) -> float:
    """Wall time of one process running ``code``; its CPU time (user + system, the kernel's
    accounting of the waited-for child) is appended to ``cpu``: on a machine whose cores other
    processes share, the wall time also counts their turns, the CPU time does not."""
    c0 = _children_cpu()
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    dt = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    if cpu is not None:
        cpu.append(_children_cpu() - c0)
    return dt


def import_profile(env: dict, top: int = 8) -> list[tuple[str, float]]:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import spikesim"], capture_output=True,
                         text=True, env=env, timeout=600)
    rows = []
    for line in out.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "self" not in line:
            parts = line.split("|")
            rows.append((parts[2].rstrip(), int(parts[1]) * 1e-6))
    total = max((r for r in rows if r[0].strip() == "spikesim"), key=lambda r: r[1], default=("spikesim", None))
    return [total] + sorted(rows, key=lambda r: -r[1])[1:top + 1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--threads", default="None", help="threads= of the Network (default None: by size)")
    ap.add_argument("--no-bytecode", action="store_true", help="keep PYTHONDONTWRITEBYTECODE if it is set")
    a = ap.parse_args(argv)
    code = SCRIPT.replace("THREADS", a.threads)
    env = dict(os.environ)
    if not a.no_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    run_once(code, env)                          # fill the kernel cache
    cpu: list[float] = []
    times = [run_once(code, env, cpu) for _ in range(a.runs)]
    bare = [run_once("import numpy, numba, scipy", env) for _ in range(3)]
    imp = [run_once("import spikesim", env) for _ in range(3)]
    report = {"runs": a.runs, "threads": a.threads, "bytecode_cache": "PYTHONDONTWRITEBYTECODE" not in env, "median_s": statistics.median(times), "min_s": min(times),
              "all_s": times,
              "cpu_median_s": statistics.median(cpu), "cpu_min_s": min(cpu), "python_numpy_numba_scipy_s": statistics.median(bare),
              "import_spikesim_s": statistics.median(imp), "import_profile_s": import_profile(env),
              "loadavg": os.getloadavg()}
    print(json.dumps(report, indent=1))
    print(f"small script: median {report['median_s']:.2f} s, min {report['min_s']:.2f} s over {a.runs} runs "
          f"(bar: 1.0 s); CPU time median {report['cpu_median_s']:.2f} s, min {report['cpu_min_s']:.2f} s; python + import spikesim {report['import_spikesim_s']:.2f} s; "
          f"python + numpy, numba, scipy {report['python_numpy_numba_scipy_s']:.2f} s; load {report['loadavg'][0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
