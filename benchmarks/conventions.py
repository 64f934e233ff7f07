"""Measure the timing conventions of spikesim, Brian2 and NEST on two tiny networks run each way.

    python benchmarks/conventions.py            (prints a markdown table; NEST columns if importable)

Network A (delay, monitor): one input spike at t = 1.0 ms reaches a resting LIF through a jump
synapse (+2 mV) with delay 0.5 ms; every simulator records v every step. Network B (spike
stamp, refractory clamp): one LIF (tau_m 10 ms, rest = reset = -65 mV, threshold -50 mV,
t_ref 2 ms, exact integration) driven by a constant R I = 20 mV from rest. dt = 0.1 ms.
Each simulator is used the way its users write it (Brian2: equations, StateMonitor at its
default slot; NEST: iaf_psc_delta, spike_generator, multimeter).
"""
from __future__ import annotations

import numpy as np

DT = 0.1


def _first_change(t, v, v0):
    k = np.flatnonzero(np.abs(v - v0) > 1e-9)
    return float(t[k[0]]) if k.size else None


def _held_steps(t, v, t_spike, v_reset):
    """Samples after the spike's stamp at which v is exactly v_reset (the clamp), and the first
    sample that moved."""
    after = t > t_spike + 1e-9
    k = np.flatnonzero(after)
    held = 0
    for j in k:
        if abs(v[j] - v_reset) < 1e-12:
            held += 1
        else:
            break
    return held


def spikesim_runs():
    import spikesim as ss
    net = ss.Network(dt=DT, seed=0)
    src = net.add(ss.inputs.SpikeSource(1, [1.0], [0]), name="src")
    a = net.add(ss.neurons.LIF(1, tau_m=10.0), name="a")
    net.connect(src, a, np.array([[2.0]]), delays=0.5, target="v")
    net.record(a, state=("v",))
    r = net.run(5.0)
    ta, va = r.state_times("a"), r.state("a", "v")[:, 0]
    net = ss.Network(dt=DT, seed=0)
    b = net.add(ss.neurons.LIF(1, tau_m=10.0, t_ref=2.0), name="b")
    net.inject(b, 20.0)
    net.record(b, state=("v",))
    r = net.run(40.0)
    return {"delay": _first_change(ta, va, -65.0), "t_spikes": r.spikes("b")[0],
            "t_v": r.state_times("b"), "v": r.state("b", "v")[:, 0]}


def brian2_runs(when="start"):
    import brian2 as b2
    from brian2 import ms, mV
    b2.set_device("runtime")
    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    b2.defaultclock.dt = DT * ms
    eqs = "dv/dt = (-(v - El) + RI) / taum : volt (unless refractory)\nRI : volt\nEl : volt\ntaum : second"
    G = b2.NeuronGroup(2, eqs, threshold="v > -50*mV", reset="v = -65*mV", refractory=2 * ms, method="exact")
    G.El = -65 * mV
    G.v = -65 * mV
    G.taum = 10 * ms
    G.RI = [0, 20] * mV
    sgg = b2.SpikeGeneratorGroup(1, [0], [1.0] * ms)
    S = b2.Synapses(sgg, G, on_pre="v_post += 2*mV", delay=0.5 * ms)
    S.connect(i=0, j=0)
    mon = b2.StateMonitor(G, "v", record=True, when=when)
    sp = b2.SpikeMonitor(G)
    net = b2.Network(G, sgg, S, mon, sp)
    net.run(40 * ms, namespace={})
    t = np.asarray(mon.t / ms)
    v = np.asarray(mon.v / mV)
    ts = np.asarray(sp.t / ms)[np.asarray(sp.i) == 1]
    return {"delay": _first_change(t, v[0], -65.0), "t_spikes": ts, "t_v": t, "v": v[1]}


def nest_runs():
    import nest
    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": DT, "print_time": False})
    p = {"E_L": -65.0, "V_reset": -65.0, "V_th": -50.0, "tau_m": 10.0, "C_m": 10.0, "t_ref": 2.0, "V_m": -65.0}
    a = nest.Create("iaf_psc_delta", params=p)
    b = nest.Create("iaf_psc_delta", params=dict(p, I_e=20.0))
    g = nest.Create("spike_generator", params={"spike_times": [1.0]})
    nest.Connect(g, a, syn_spec={"weight": 2.0, "delay": 0.5})
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": DT})
    nest.Connect(mm, a)
    nest.Connect(mm, b)
    sr = nest.Create("spike_recorder")
    nest.Connect(b, sr)
    nest.Simulate(40.0)
    ev = mm.get("events")
    snd, t, v = np.asarray(ev["senders"]), np.asarray(ev["times"]), np.asarray(ev["V_m"])
    ia, ib = a.get("global_id"), b.get("global_id")
    return {"delay": _first_change(t[snd == ia], v[snd == ia], -65.0), "t_spikes": np.asarray(sr.get("events")["times"]),
            "t_v": t[snd == ib], "v": v[snd == ib]}


def summary(r):
    ts = r["t_spikes"]
    isi = np.diff(ts[:4])
    return {"input spike 1.0 ms, delay 0.5 ms: first sample showing the jump (ms)": r["delay"],
            "first spike stamp (ms)": float(ts[0]),
            "ISI (ms)": float(isi[0]) if isi.size else None,
            "samples held at v_reset after a spike (steps)": _held_steps(r["t_v"], r["v"], ts[0], -65.0),
            "first sample time (ms)": float(r["t_v"][0])}


def main():
    cols = {"spikesim": summary(spikesim_runs()), "Brian2 (StateMonitor default 'start')": summary(brian2_runs()),
            "Brian2 (StateMonitor when='end')": summary(brian2_runs("end"))}
    try:
        cols["NEST 3 (iaf_psc_delta, multimeter)"] = summary(nest_runs())
    except ImportError:
        pass
    rows = list(next(iter(cols.values())))
    print("| quantity | " + " | ".join(cols) + " |")
    print("|---|" + "---|" * len(cols))
    for r in rows:
        print(f"| {r} | " + " | ".join("-" if c[r] is None else f"{c[r]:.4g}" for c in cols.values()) + " |")


if __name__ == "__main__":
    main()
