"""Speed of the spikesim event-driven core (numba CPU) against Brian2 (numpy, cython,
cpp_standalone) and NEST, on the same networks, in the same run.

    python benchmarks/core_vs_brian2.py [--quick] [--targets numpy,cython,standalone,nest]
                                        [--threads 1,2] [--out benchmarks/results/core_vs_brian2.json]
                                        (+ the table as .md)

Networks (benchmarks/_networks.py): Izhikevich 2003 (1000 neurons, dense, dt 1 ms), CUBA 4000
(p = 0.02, dt 0.1 ms), Brunel 10k (10^7 synapses, 1.5 ms delay), a per-step floor (CUBA 4000
without drive: no spikes), a 4000-neuron Izhikevich network with K = 200 random targets and
per-synapse delays 0.5-5 ms driven by a noise array (``izhikevich_hetero_4000``), and a sweep N = 1k..64k at fixed in-degree K = 80 with the log-log
slope of time against N. Brian2 runs the *same* network (same arrays, same schedule) through
:mod:`spikesim.compare.brian2`; NEST runs the LIF networks (iaf_psc_delta / iaf_psc_exp, the
Poisson pool as spike_generators with the same spike trains).

Protocol (performance_anchors.md section 6.1): build once with seeded NumPy; steady-state
simulation timed apart from preparation. spikesim: the kernel is loaded once before the
timings (first-run latency is measured separately, in fresh subprocesses: cold = empty
NUMBA_CACHE_DIR, cached = the same directory again). Brian2 runtime: ``run(0 ms)`` (code
generation, compilation or cache loading) timed apart from ``run(T)``. cpp_standalone: code
generation + compilation timed apart; simulation time = the binary's own ``_last_run_time``
(wall) and the binary's CPU time (children rusage, which includes loading its arrays). Both
CPU time (process_time) and wall time are reported: the machine is shared, so CPU time is the
fairer clock and the ratios are taken from CPU time where both are measured.
Synaptic events = sum of the out-degrees of the spiking neurons (including input sources).

Threads axis (``--threads``, default 1 .. the machine's cores): spikesim with
``Network(threads=K)`` against Brian2 cpp_standalone built with
``prefs.devices.cpp_standalone.openmp_threads = K`` (its loop clock is then ``omp_get_wtime``,
wall time), compared on wall time; NEST's ``local_num_threads`` is the same axis when NEST is
installed (it is not on the machine of the published run: the NEST columns say so). Also
printed: the time breakdown of spikesim's loop at one thread (state update, threshold,
propagation, monitors ...; :func:`spikesim.backends.numba_cpu.core.profile_run`, cycle counter)
and each network's events per second as a fraction of this machine's propagation ceiling
(``benchmarks/propagation_ceiling.py``, measured in the same run).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
warnings.filterwarnings("ignore")

import _networks as nets  # noqa: E402
import spikesim.compare.brian2_examples as examples  # noqa: E402

import spikesim as ss  # noqa: E402
from spikesim.core.plan import build_plan  # noqa: E402

STANDALONE_ROOT = Path(tempfile.gettempdir()) / "spikesim_bench_standalone"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------ helpers
def out_degrees(net) -> dict:
    deg = {name: np.zeros(obj.n, dtype=np.int64) for name, obj in net.populations.items()}
    for pr in net.projections:
        deg[pr.pre] += np.bincount(pr.pre_idx, minlength=deg[pr.pre].size)
    return deg


def count_events(net, res) -> int:
    deg = out_degrees(net)
    return int(sum(deg[p][res.spikes(p)[1]].sum() for p in res.populations))


def count_spikes(res) -> int:
    return int(sum(res.spikes(p)[0].size for p in res.populations))


def warm_up_kernel() -> None:
    net = ss.Network(dt=0.1, seed=0, backend="numba")
    a = net.add(ss.neurons.LIF(2), name="a")
    net.connect(a, a, np.ones((2, 2)))
    net.record(a)
    net.run(1.0)


def spikesim_run(factory, T: float, keep: list | None = None, threads: int = 1) -> dict:
    """Build (timed), run T ms on the numba backend with ``threads`` threads (timed); the built
    Network is appended to ``keep`` so the peers can translate the same object (they simulate
    from t = 0)."""
    w0 = time.perf_counter()
    net = with_threads(factory, threads)
    if keep is not None:
        keep.append(net)
    construct = time.perf_counter() - w0
    w0 = time.perf_counter()
    net.run(0.0)                                    # builds the plan (CSR, rings)
    plan_s = time.perf_counter() - w0
    p = net._plan
    syn_bytes = sum(a.nbytes for a in (p.indptr, p.post, p.cell, p.w, p.delay, p.seg_ptr, p.seg_lo, p.seg_hi, p.seg_delay))
    c0, w0 = time.process_time(), time.perf_counter()
    res = net.run(T)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    ev = int(net.last_run_stats["synaptic_events"])
    n_syn = p.n_synapses
    return {"sim_wall": wall, "sim_cpu": cpu, "threads": net.threads, "loadavg": os.getloadavg()[0],
            "steps": int(net.last_run_stats["steps"]), "events": ev,
            "spikes": count_spikes(res), "build_s": construct + plan_s, "plan_s": plan_s, "n_synapses": n_syn,
            "bytes_per_synapse": syn_bytes / max(n_syn, 1), "ring_bytes": int(p.ring.nbytes)}


def with_threads(factory, threads: int):
    """``factory()`` with Numba's thread count set to ``threads`` while it runs, so the networks it
    builds get ``threads`` by default (some factories build their plan already, by ``set_state``)."""
    import numba
    # threads=None then means every Numba thread, not the size rule of spikesim.core.threads
    # (read when the plan is built, in or after the factory)
    os.environ["SPIKESIM_AUTO_THREADS"] = "0"
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        net = factory()
    finally:
        numba.set_num_threads(before)
    if net.threads != threads:
        raise RuntimeError(f"the factory built a network with threads={net.threads}, not {threads}")
    return net


def brian2_bytes_per_synapse(model) -> float | None:
    """Bytes of the per-synapse arrays of the Brian2 Synapses objects (runtime targets)."""
    if model.target == "cpp_standalone":
        return None
    total = 0
    for obj in model.net.objects:
        if not obj.name.startswith("spikesim_syn_"):
            continue
        n = len(obj)
        for var in obj.variables.values():
            if getattr(var, "size", None) == n and hasattr(var, "get_value") and not getattr(var, "scalar", False):
                try:
                    total += np.asarray(var.get_value()).nbytes
                except Exception:  # noqa: BLE001 - some variables have no value in this mode
                    pass
    return total / max(model.n_synapses, 1)


def brian2_run(factory, T: float, target: str, tag: str, openmp_threads: int = 0) -> dict:
    """``openmp_threads`` (cpp_standalone): Brian2's OpenMP threads (0: a single-threaded build,
    whose loop clock is CPU time; K >= 1: OpenMP, loop clock = wall time)."""
    import brian2 as b2
    from spikesim.compare import brian2 as cb
    net = factory()
    directory = None
    if target == "cpp_standalone":
        directory = str(STANDALONE_ROOT / (tag + (f"_omp{openmp_threads}" if openmp_threads else "")))
        os.makedirs(directory, exist_ok=True)
    b2.prefs.devices.cpp_standalone.openmp_threads = openmp_threads
    try:
        w0 = time.perf_counter()
        model = cb.build(net, T, target=target, directory=directory)
        build_s = time.perf_counter() - w0
        t = model.run()
    finally:
        b2.prefs.devices.cpp_standalone.openmp_threads = 0
    res = model.result()
    out = {"build_s": build_s, "steps": model.n_steps, "events": count_events(net, res), "spikes": count_spikes(res),
           "n_synapses": model.n_synapses, "bytes_per_synapse": brian2_bytes_per_synapse(model)}
    if target == "cpp_standalone" and openmp_threads:
        out.update(sim_wall=t["sim_cpu"], sim_cpu=None, openmp_threads=openmp_threads, loadavg=os.getloadavg()[0],
                   binary_wall=t["binary_wall"], binary_cpu=t["binary_cpu"], compile_wall=t["compile_wall"])
    elif target == "cpp_standalone":
        out.update(sim_cpu=t["sim_cpu"], sim_wall=None, binary_wall=t["binary_wall"], binary_cpu=t["binary_cpu"],
                   prep_wall=t["prep_wall"], compile_wall=t["compile_wall"], compile_cpu=t["compile_cpu"],
                   codegen_wall=t["codegen_wall"])
    else:
        out.update(sim_wall=t["sim_wall"], sim_cpu=t["sim_cpu"], prep_wall=t["prep_wall"], prep_cpu=t["prep_cpu"])
    if target != "numpy":
        import brian2 as b2
        b2.set_device("runtime")
    return out


def nest_run(factory, T: float) -> dict:
    """LIF networks in NEST 3: iaf_psc_delta (target "v") or iaf_psc_exp (target "I_syn"); Poisson
    and SpikeSource populations as spike_generators with spikesim's spike trains."""
    import nest
    from spikesim.compare.brian2 import poisson_steps
    net = factory()
    dt = net.dt
    n_steps = int(round(T / dt))
    w0 = time.perf_counter()
    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": dt, "local_num_threads": 1, "print_time": False})
    plan = build_plan(dt, net.seed, net.populations, net.projections, net.injections, net.records,
                      net.max_delay_steps)
    nodes, recs = {}, {}
    targets = {}
    for pr in net.projections:
        syn = pr.synapse
        kind = ("v" if isinstance(syn, ss.synapses.Delta) and syn.var == "v" else
                "I_syn" if isinstance(syn, ss.synapses.Exponential) and syn.name == "I_syn" else type(syn).__name__)
        targets.setdefault(pr.post, set()).add(kind)
    for pp in plan.pops:
        name, obj = pp.name, net.populations[pp.name]
        if isinstance(obj, ss.neurons.LIF):
            tg = targets.get(name, {"v"})
            if len(tg) != 1 or not tg <= {"v", "I_syn"}:
                raise NotImplementedError(f"NEST translation needs one synapse target (v or I_syn) per population, got {tg}")
            model = "iaf_psc_delta" if tg == {"v"} else "iaf_psc_exp"
            pr_ = obj.param_values
            I_e = pp.I_const if pp.I_const is not None else np.zeros(obj.n)
            params = {"E_L": pr_["v_rest"], "V_th": pr_["v_th"], "V_reset": pr_["v_reset"], "tau_m": pr_["tau_m"],
                      "C_m": pr_["tau_m"] / pr_["r_m"], "t_ref": pr_["t_ref"], "I_e": I_e,
                      "V_m": obj.initial["v"]}
            if model == "iaf_psc_exp":
                params.update(tau_syn_ex=pr_["tau_syn"], tau_syn_in=pr_["tau_syn"])
            nc = nest.Create(model, obj.n)
            nc.set({key: (list(map(float, val)) if np.ndim(val) else float(val)) for key, val in params.items()})
        elif pp.kind in ("poisson", "spike_source"):
            s = pp.start
            if pp.kind == "poisson":
                st, li = poisson_steps(plan.seed, pp.stream, pp.p_fire, 0, n_steps)
            else:
                lo, hi = plan.src_off[pp.index], plan.src_off[pp.index + 1]
                st, li = plan.src_step[lo:hi], plan.src_gid[lo:hi] - s
            nc = nest.Create("spike_generator", obj.n)
            order = np.lexsort((st, li))
            st, li = st[order], li[order]
            bounds = np.searchsorted(li, np.arange(obj.n + 1))
            nc.set([{"spike_times": ((st[bounds[j]:bounds[j + 1]] + 1) * dt).tolist()} for j in range(obj.n)])
        else:
            raise NotImplementedError(f"no NEST translation for {type(obj).__name__} populations")
        nodes[name] = nc
        if name in net.records and net.records[name]["spikes"] and isinstance(obj, ss.neurons.LIF):
            recs[name] = nest.Create("spike_recorder")
            nest.Connect(nc, recs[name])
    for pr in net.projections:
        ids_pre = np.asarray(nodes[pr.pre].tolist())[pr.pre_idx]
        ids_post = np.asarray(nodes[pr.post].tolist())[pr.post_idx]
        nest.Connect(ids_pre, ids_post, conn_spec="one_to_one",
                     syn_spec={"weight": pr.weights, "delay": pr.delay_steps * dt})
    build_s = time.perf_counter() - w0
    c0, w0 = time.process_time(), time.perf_counter()
    nest.Simulate(T)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    deg = out_degrees(net)
    spikes = events = 0
    for name, rec in recs.items():
        ev = rec.get("events")
        ids = np.asarray(ev["senders"], dtype=np.int64) - int(nodes[name][0].get("global_id"))
        spikes += ids.size
        events += int(deg[name][ids].sum())
    return {"sim_wall": wall, "sim_cpu": cpu, "build_s": build_s, "steps": n_steps, "events_neurons": events,
            "spikes_neurons": spikes, "n_synapses": int(sum(pr.n_synapses for pr in net.projections))}


def first_run_latency(cache_dir: str, T: float = 100.0) -> dict:
    """A fresh process: import spikesim, build CUBA 4000, run T ms (the first run() of the process)."""
    code = (
        "import time, json, sys; t0 = time.perf_counter()\n"
        f"sys.path.insert(0, {str(HERE)!r})\n"
        "import spikesim, _networks; t1 = time.perf_counter()\n"
        "net = _networks.cuba(); t2 = time.perf_counter(); c2 = time.process_time()\n"
        f"net.run({T}); t3 = time.perf_counter(); c3 = time.process_time()\n"
        "print(json.dumps({'import_s': t1 - t0, 'build_s': t2 - t1, 'first_run_s': t3 - t2, "
        "'first_run_cpu_s': c3 - c2, 'total_s': t3 - t0, 'total_cpu_s': c3, "
        "'run_seconds_inside': net.last_run_stats['run_seconds']}))\n")
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    if out.returncode != 0:
        return {"error": out.stderr[-500:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def safe(fn, *a, **k):
    try:
        return fn(*a, **k)
    except Exception as exc:  # noqa: BLE001 - a failing peer must not stop the benchmark
        log(f"  failed: {type(exc).__name__}: {exc}")
        return {"error": f"{type(exc).__name__}: {exc}"[:400]}


# ------------------------------------------------------------------------------------ main
def per_bio_s(r: dict, T: float, clock: str) -> float | None:
    v = r.get(clock)
    return None if v is None else v / (T * 1e-3)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="short runs; peers (Brian2, NEST) only on the small networks, sweep on spikesim only")
    ap.add_argument("--targets", default="numpy,cython,standalone,nest",
                    help="comma list of numpy, cython, standalone, nest (spikesim numba always runs)")
    ap.add_argument("--out", default=str(HERE / "results" / "core_vs_brian2.json"))
    ap.add_argument("--skip-sweep-brian2", action="store_true", help="sweep on spikesim only")
    ap.add_argument("--skip-sweep", action="store_true", help="no fixed in-degree sweep")
    ap.add_argument("--skip-first-run", action="store_true", help="no first-run latency subprocesses")
    ap.add_argument("--networks", default="", help="comma list of networks (default: all)")
    ap.add_argument("--note", default="", help="a line about the run (e.g. machine load) for the report")
    ap.add_argument("--threads", default=",".join(str(k) for k in range(1, (os.cpu_count() or 1) + 1)),
                    help="comma list of thread counts for the threads axis (default 1 .. cores; '' for none)")
    ap.add_argument("--skip-breakdown", action="store_true", help="no profiled run (time breakdown)")
    args = ap.parse_args(argv)
    thread_counts = [int(x) for x in args.threads.split(",") if x.strip()]
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    tmap = {"numpy": "numpy", "cython": "cython", "standalone": "cpp_standalone"}
    unknown = set(targets) - set(tmap) - {"nest"}
    if unknown:
        ap.error(f"unknown targets {sorted(unknown)}")
    q = args.quick
    T = {"izhikevich_1000": 300.0 if q else 2000.0, "cuba_4000": 200.0 if q else 1000.0,
         "brunel_10k": 50.0 if q else 300.0, "floor_4000": 200.0 if q else 1000.0,
         "cuba2tau_4000": 200.0 if q else 1000.0, "coba_4000": 200.0 if q else 1000.0,
         "cobahh_4000": 100.0 if q else 1000.0, "izhikevich_hetero_4000": 500.0 if q else 2000.0}
    factories = {"izhikevich_1000": lambda: nets.izhikevich_2003(int(T["izhikevich_1000"])),
                 "cuba_4000": lambda: nets.cuba(), "brunel_10k": lambda: nets.brunel(),
                 "floor_4000": lambda: nets.cuba(silent=True),
                 # Brette et al. 2007 benchmarks in spikesim's own models (spikesim.compare.brian2_examples)
                 "cuba2tau_4000": lambda: examples.spikesim_cuba(), "coba_4000": lambda: examples.spikesim_coba(),
                 "cobahh_4000": lambda: examples.spikesim_cobahh(),
                 "izhikevich_hetero_4000": lambda: nets.izhikevich_hetero(T_ms=T["izhikevich_hetero_4000"])}
    if args.networks:
        chosen = [x.strip() for x in args.networks.split(",") if x.strip()]
        bad = set(chosen) - set(factories)
        if bad:
            ap.error(f"unknown networks {sorted(bad)}; choose from {sorted(factories)}")
        factories = {k: v for k, v in factories.items() if k in chosen}
    no_nest = {"cuba2tau_4000", "coba_4000", "cobahh_4000", "izhikevich_hetero_4000"}
    import importlib.util
    have_nest = importlib.util.find_spec("nest") is not None
    big = {"brunel_10k"}
    t_start = time.time()
    report = {"date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
              "machine": {"platform": platform.platform(), "processor": _cpu_name(), "cpus": os.cpu_count(),
                          "python": platform.python_version()},
              "versions": _versions(), "git_revision": _git_rev(), "quick": q, "targets": targets, "durations_ms": T, "networks": {}}

    report["note"] = args.note
    if not args.skip_first_run:
        log("first-run latency (fresh processes) ...")
        with tempfile.TemporaryDirectory(prefix="numba_cache_") as cache:
            report["first_run"] = {"cold": first_run_latency(cache), "cached": first_run_latency(cache)}
        log(" ", report["first_run"])
    warm_up_kernel()
    from propagation_ceiling import ceiling
    log("propagation ceiling ...")
    report["ceiling"] = ceiling()
    log("  ", report["ceiling"])

    for name, factory in factories.items():
        log(f"{name}: spikesim numba ...")
        keep: list = []
        r = {"spikesim_numba": spikesim_run(factory, T[name], keep)}
        fac = (lambda net=keep[0]: net)      # the peers get the very same Network object
        log("  ", {k: r["spikesim_numba"][k] for k in ("sim_cpu", "sim_wall", "events", "build_s")})
        for tg in targets:
            if tg == "nest":
                if not have_nest:
                    r["nest"] = {"error": "not run: NEST is not installed on this machine"}
                    continue
                if name == "izhikevich_1000":
                    r["nest"] = {"error": "not run: NEST's izhikevich model has no one-step current-pulse synapse"}
                    continue
                if name in no_nest:
                    r["nest"] = {"error": "not run: no NEST translation of spikesim's Exponential/Conductance/HH models"}
                    continue
                if q and name in big:
                    r["nest"] = {"error": "skipped in --quick (10^7 synapses: minutes of build/compile)"}
                    continue
                log(f"{name}: NEST ...")
                r["nest"] = safe(nest_run, fac, T[name])
            else:
                if q and name in big:
                    r[f"brian2_{tg}"] = {"error": "skipped in --quick (10^7 synapses: minutes of build/compile)"}
                    continue
                log(f"{name}: brian2 {tg} ...")
                r[f"brian2_{tg}"] = safe(brian2_run, fac, T[name], tmap[tg], name + ("_quick" if q else ""))
            log("  ", {k: v for k, v in r[f"brian2_{tg}" if tg != "nest" else "nest"].items()
                       if k in ("sim_cpu", "sim_wall", "prep_wall", "build_s", "error")})
        if not args.skip_breakdown:
            from spikesim.backends.numba_cpu.core import profile_run
            log(f"{name}: time breakdown (profiled loop, 1 thread) ...")
            r["breakdown_1_thread"] = safe(profile_run, with_threads(factory, 1), T[name])
        for k in thread_counts:
            log(f"{name}: threads {k}: spikesim ...")
            r[f"threads_{k}_spikesim"] = safe(spikesim_run, factory, T[name], None, k)
            if "standalone" in targets and not (q and name in big):
                log(f"{name}: threads {k}: brian2 standalone (OpenMP) ...")
                r[f"threads_{k}_brian2_standalone"] = safe(brian2_run, fac, T[name], "cpp_standalone",
                                                           name + ("_quick" if q else ""), k)
            if "nest" in targets:
                r[f"threads_{k}_nest"] = {"error": "not run: NEST is not installed on this machine" if not have_nest
                                          else "not run: NEST threads axis not wired (local_num_threads)"}
        report["networks"][name] = r
        _write(args.out, report)

    # ---- fixed in-degree sweep ----------------------------------------------------------------
    def finish() -> int:
        report["total_benchmark_s"] = time.time() - t_start
        _write(args.out, report)
        table = markdown(report)
        Path(args.out).with_suffix(".md").write_text(table + "\n")
        print(table)
        return 0

    if args.skip_sweep:
        return finish()
    Ns = [1000, 2000, 4000, 8000, 16000, 32000, 64000]
    Tsw = 100.0 if q else 500.0
    sweep = {"K": 80, "T_ms": Tsw, "N": Ns, "spikesim_numba": [], "brian2_cpp_standalone": []}
    for N in Ns:
        log(f"sweep N={N}: spikesim ...")
        sweep["spikesim_numba"].append(spikesim_run(lambda: nets.cuba(N=N, fixed_k=80), Tsw))
        if "standalone" in targets and not q and not args.skip_sweep_brian2:
            log(f"sweep N={N}: brian2 standalone ...")
            sweep["brian2_cpp_standalone"].append(safe(brian2_run, lambda: nets.cuba(N=N, fixed_k=80), Tsw,
                                                       "cpp_standalone", f"sweep_{N}"))
    for key in ("spikesim_numba", "brian2_cpp_standalone"):
        ys = [r.get("sim_cpu") or r.get("sim_wall") for r in sweep[key]]
        if len(ys) == len(Ns) and all(y for y in ys):
            sweep[f"{key}_loglog_slope"] = float(np.polyfit(np.log(Ns), np.log(ys), 1)[0])
            sweep[f"{key}_loglog_slope_4k_64k"] = float(np.polyfit(np.log(Ns[2:]), np.log(ys[2:]), 1)[0])
    report["sweep"] = sweep
    return finish()


def _cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _git_rev() -> str:
    from spikesim.core.result import git_revision
    rev = git_revision()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "spikesim"], capture_output=True, text=True,
                           cwd=HERE.parent).stdout.strip()
    return rev + (" (spikesim/ has uncommitted changes)" if dirty else "")


def _versions() -> dict:
    import numba
    v = {"spikesim": ss.__version__, "numpy": np.__version__, "numba": numba.__version__}
    try:
        import brian2
        v["brian2"] = brian2.__version__
    except ImportError:
        v["brian2"] = None
    try:
        import importlib.metadata as md
        v["nest"] = md.version("nest-simulator")
    except Exception:  # noqa: BLE001
        v["nest"] = None
    return v


def _write(path, report) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=1, default=float))
    os.replace(tmp, path)


def _f(x, nd=3):
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    return f"{x:.{nd}g}"


def threads_section(report) -> list[str]:
    """The threads axis (wall time), the breakdown at one thread and the ceiling fractions."""
    ceil = report.get("ceiling", {}).get("events_per_s")
    lines = ["", "Threads axis: loop wall time, seconds per simulated second (Brian2 cpp_standalone with "
             "openmp_threads = K: its own loop clock, omp_get_wtime). ratio = Brian2 / spikesim (> 1: spikesim "
             "faster); speedup = spikesim 1 thread / K threads; load = 1-min load average at the end of the run.", "",
             "| network | threads | spikesim s/bio-s | spikesim CPU s/bio-s | speedup | Brian2 omp s/bio-s | ratio "
             "| load |", "|---|---|---|---|---|---|---|---|"]
    for name, r in report["networks"].items():
        T = report["durations_ms"][name]
        one = r.get("threads_1_spikesim", {}).get("sim_wall")
        for key in sorted(k for k in r if k.startswith("threads_") and k.endswith("_spikesim")):
            k = int(key.split("_")[1])
            ours, b2 = r[key], r.get(f"threads_{k}_brian2_standalone", {})
            if "error" in ours:
                lines.append(f"| {name} | {k} | {ours['error'][:60]} | | | | | |")
                continue
            w = per_bio_s(ours, T, "sim_wall")
            bw = per_bio_s(b2, T, "sim_wall") if "error" not in b2 else None
            lines.append(f"| {name} | {k} | {_f(w)} | {_f(per_bio_s(ours, T, 'sim_cpu'))} | "
                         f"{_f(one / ours['sim_wall'] if one else None)} | "
                         f"{_f(bw) if 'error' not in b2 else b2['error'][:40]} | {_f(bw / w if bw and w else None)} | "
                         f"{_f(ours.get('loadavg'), 2)} |")
    if ceil:
        lines += ["", f"Propagation ceiling (benchmarks/propagation_ceiling.py, this run): {ceil / 1e6:.0f} M events/s "
                  f"per core (ring {report['ceiling']['ring_bytes'] / 1e3:.0f} kB, best of {report['ceiling']['reps']})."]
    lines += ["", "Time breakdown of spikesim's loop at 1 thread (profiled variant; seconds of the loop's wall time "
              "by phase) and events/s as a fraction of the ceiling (whole loop on CPU time at 1 thread; propagation "
              "phase alone):", "",
              "| network | loop s | inputs | update | threshold+sources | propagation | reset | plasticity | monitors "
              "| loop events/s / ceiling | propagation events/s / ceiling |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in report["networks"].items():
        b = r.get("breakdown_1_thread")
        if not b or "error" in b:
            continue
        ph = b["phases_s"]
        one = r.get("threads_1_spikesim", r.get("spikesim_numba", {}))
        loop_frac = one["events"] / one["sim_cpu"] / ceil if ceil and one.get("sim_cpu") else None
        prop_frac = (b["synaptic_events"] / ph["propagation"] / ceil if ceil and ph["propagation"] > 0 else None)
        lines.append(f"| {name} | {_f(b.get('cpu_seconds', b['run_seconds']))} | {_f(ph['inputs'])} | {_f(ph['update'])} | "
                     f"{_f(ph['threshold_sources'])} | {_f(ph['propagation'])} | {_f(ph['reset'])} | "
                     f"{_f(ph['plasticity'])} | {_f(ph['monitors'])} | {_f(loop_frac, 2)} | {_f(prop_frac, 2)} |")
    return lines


def markdown(report) -> str:
    lines = [f"Benchmark {report['date']} on {report['machine']['processor']} ({report['machine']['cpus']} CPUs), "
             f"{'quick' if report['quick'] else 'full'} run; versions {report['versions']}", "",
             *([f"Note: {report['note']}", ""] if report.get("note") else []),
             "Steady-state simulation, seconds per simulated second. CPU = process_time (Brian2 standalone: "
             "the binary's own loop time `_last_run_time`, which is std::clock() = CPU time in a "
             "single-threaded build); wall = perf_counter. ratio = peer / spikesim numba on the same "
             "clock (> 1: spikesim faster). The machine is shared: trust CPU time.", "",
             "| network | simulator | s/bio-s CPU | s/bio-s wall | events/s | build s | prep/compile s | B/syn "
             "| ratio CPU | ratio wall |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in report["networks"].items():
        T = report["durations_ms"][name]
        ours = r["spikesim_numba"]
        ours_t = per_bio_s(ours, T, "sim_cpu")
        for key, res in r.items():
            if key.startswith("threads_") or key.startswith("breakdown"):
                continue
            if "error" in res:
                lines.append(f"| {name} | {key} | {res['error'][:70]} | | | | | | | |")
                continue
            if key.endswith("standalone") and res.get("sim_cpu") is None:   # files written before the fix
                res = dict(res, sim_cpu=res.get("sim_wall"), sim_wall=None)
            cpu = per_bio_s(res, T, "sim_cpu")
            wall = per_bio_s(res, T, "sim_wall")
            ours_w = per_bio_s(ours, T, "sim_wall")
            ev = res.get("events", res.get("events_neurons"))
            clock = res.get("sim_cpu") or res.get("sim_wall")
            evs = ev / clock if (ev is not None and clock) else None
            other = key != "spikesim_numba"
            r_cpu = cpu / ours_t if other and cpu and ours_t else None
            r_wall = wall / ours_w if other and wall and ours_w else None
            prep = res.get("prep_wall")
            lines.append(f"| {name} | {key} | {_f(cpu)} | {_f(wall)} | {_f(evs)} | {_f(res.get('build_s'))} | "
                         f"{_f(prep)} | {_f(res.get('bytes_per_synapse'))} | {_f(r_cpu)} | {_f(r_wall)} |")
        if name == "floor_4000":
            steps = ours["steps"]
            floor = {k: (v.get("sim_cpu") or v.get("sim_wall")) / v["steps"] * 1e6 for k, v in r.items()
                     if "error" not in v and v.get("steps") and (v.get("sim_cpu") or v.get("sim_wall"))
                     and not k.startswith(("threads_", "breakdown"))}       # CPU time (standalone: its loop clock)
            lines.append("")
            lines.append("Per-step floor at 4000 neurons, no spikes (us/step): "
                         + ", ".join(f"{k} {v:.1f}" for k, v in floor.items()) + f" ({steps} steps)")
            lines.append("")
    lines += threads_section(report)
    fr = report.get("first_run", {})
    lines.append("")
    lines.append("First run() in a fresh process (CUBA 4000, 100 ms): "
                 + "; ".join(f"{k}: import {_f(v.get('import_s'))} s, build {_f(v.get('build_s'))} s, "
                             f"first run {_f(v.get('first_run_s'))} s wall / {_f(v.get('first_run_cpu_s'))} s CPU"
                             for k, v in fr.items() if "error" not in v))
    sw = report.get("sweep", {})
    if sw:
        lines.append("")
        lines.append(f"Fixed in-degree sweep (K = {sw['K']}, {sw['T_ms']} ms): N = {sw['N']}")
        ys = [(r.get('sim_cpu') or 0) / (sw['T_ms'] * 1e-3) for r in sw["spikesim_numba"]]
        lines.append("spikesim numba s/bio-s CPU: " + ", ".join(_f(y) for y in ys)
                     + f"; log-log slope {_f(sw.get('spikesim_numba_loglog_slope'))}"
                     + f" (4k..64k: {_f(sw.get('spikesim_numba_loglog_slope_4k_64k'))})")
        if sw["brian2_cpp_standalone"]:
            ys = [(r.get('sim_cpu') or r.get('sim_wall') or float('nan')) / (sw['T_ms'] * 1e-3)
                  for r in sw["brian2_cpp_standalone"]]
            lines.append("Brian2 cpp_standalone s/bio-s (loop CPU): " + ", ".join(_f(y) for y in ys)
                         + f"; log-log slope {_f(sw.get('brian2_cpp_standalone_loglog_slope'))}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
