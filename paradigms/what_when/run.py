"""The run of the ``what-when`` paradigm: trial construction, the two experiments (grid, switch),
the metrics and the summary rows.

See :mod:`spikesim.paradigms.what_when` for the task definition. Everything random (events,
reservoir, noise) is seeded from the config's seed, so a run is reproducible.
"""
from __future__ import annotations

import dataclasses
import json
import time

import numpy as np

from spikesim.analysis import what_when as ana
from spikesim.core.result import Result, make_meta
from spikesim.models.izhikevich_reservoir import ReservoirConfig, ReservoirModel, config_with

from .config import validate


# -- trials ---------------------------------------------------------------------------------------
class Task:
    """Builds the per-step arrays of a trial from the config."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.dt = cfg.dt
        self.n_steps = int(round(cfg.trial_ms / cfg.dt))
        self.cue_step = int(round(cfg.pre_cue_ms / cfg.dt))
        self.cue_len = max(1, int(round(cfg.cue_ms / cfg.dt)))
        self.what_steps = (self.cue_step, self.cue_step + int(round(cfg.what_window_ms / cfg.dt)))
        self.t_ms = np.arange(self.n_steps) * cfg.dt
        self.score_slice = slice(self.cue_step, self.n_steps)

    def profiles(self, lat_a, lat_b) -> np.ndarray:
        """(S, 2) timing profiles g(t - t_k) of channels A and B (peak 1 at cue onset + latency)."""
        t = self.t_ms - self.cfg.pre_cue_ms
        sig = self.cfg.bump_sigma_ms
        return np.stack([np.exp(-0.5 * ((t - lat) / sig) ** 2) for lat in (lat_a, lat_b)], axis=1)

    def target(self, p_a, lat_a, lat_b) -> np.ndarray:
        """(S, 2) probability-weighted target Y*_k(t) = p(k) g(t - t_k)."""
        return self.profiles(lat_a, lat_b) * np.array([p_a, 1.0 - p_a])[None, :]

    def inputs(self, event, lat_a, lat_b) -> np.ndarray:
        """(S, 3) channel pulses: cue always; A/B only when events_as_input and it occurs."""
        amp = np.zeros((self.n_steps, 3))
        amp[self.cue_step:self.cue_step + self.cue_len, 0] = 1.0
        if self.cfg.events_as_input and event >= 0:
            lat = (lat_a, lat_b)[event]
            s0 = self.cue_step + int(round(lat / self.dt))
            amp[s0:s0 + max(1, int(round(self.cfg.event_ms / self.dt))), 1 + event] = 1.0
        return amp

    def latency_steps(self, lat_a, lat_b):
        return (int(round(lat_a / self.dt)), int(round(lat_b / self.dt)))


def train_trial(model, task, event, lat_a, lat_b, record=False):
    return model.trial(task.inputs(event, lat_a, lat_b), task.profiles(lat_a, lat_b), event,
                       cue_step=task.cue_step, what_steps=task.what_steps,
                       latency_steps=task.latency_steps(lat_a, lat_b), learn=True,
                       record_spikes=record)


def probe(model, task, lat_a, lat_b, n_probes):
    """Mean output y (S, 2) over ``n_probes`` cue-only trials with learning off."""
    ys = []
    for _ in range(n_probes):
        out = model.trial(task.inputs(-1, lat_a, lat_b), task.profiles(lat_a, lat_b), -1,
                          cue_step=task.cue_step, what_steps=task.what_steps,
                          latency_steps=task.latency_steps(lat_a, lat_b), learn=False)
        ys.append(out.y)
    return np.mean(ys, axis=0)


# -- models -----------------------------------------------------------------------------------------
def build_model(name: str, cfg, seed: int):
    from spikesim.models.adapters.force_rls import ForceReservoirModel
    from spikesim.models.adapters.rate_reservoir import RateReservoirModel
    rcfg = config_with(ReservoirConfig(), n=int(cfg.n_neurons), dt=cfg.dt,
                       **(json.loads(cfg.reservoir) if cfg.reservoir else {}))
    if name == "izhikevich-reservoir":
        return ReservoirModel(rcfg, seed=seed, backend=cfg.backend)
    if name == "force":
        return ForceReservoirModel(rcfg, seed=seed, backend=cfg.backend, reset_at_switch=False)
    if name == "force-reset":
        return ForceReservoirModel(rcfg, seed=seed, backend=cfg.backend, reset_at_switch=True)
    if name == "rate-reservoir":
        return RateReservoirModel(rcfg, seed=seed, backend=cfg.backend)
    if name == "merged-readout":
        return ReservoirModel(config_with(rcfg, readout="merged"), seed=seed, backend=cfg.backend)
    if name == "no-gate":
        return ReservoirModel(config_with(rcfg, gate="none"), seed=seed, backend=cfg.backend)
    if name == "no-feedback":
        return ReservoirModel(config_with(rcfg, feedback="none"), seed=seed, backend=cfg.backend)
    raise ValueError(f"unknown what-when model {name!r}")


# -- experiments ------------------------------------------------------------------------------------
def run_grid_condition(model, task, cfg, p_a, lat_a, lat_b, rng, test_trials, tick):
    """Learn one condition from zero weights; returns (errors at test_trials, final y, weights)."""
    model.reset_learning()
    target = task.target(p_a, lat_a, lat_b)
    errors, y = [], None
    tests = set(int(t) for t in test_trials)
    n_trials = max(tests) if tests else cfg.grid_trials
    for n in range(1, n_trials + 1):
        event = 0 if rng.random() < p_a else 1
        train_trial(model, task, event, lat_a, lat_b)
        tick(1)
        if n in tests:
            y = probe(model, task, lat_a, lat_b, cfg.n_probes)
            errors.append(ana.rmse(y, target, task.score_slice))
    return np.array(errors), y, model.readout_weights()


def run_switch(model, task, cfg, rng, tick):
    """Blocks with abrupt switches; returns (test trial numbers, errors, block starts)."""
    model.reset_learning()
    trials, errors = [], []
    n = 0
    for b, (p_a, la, lb) in enumerate(zip(cfg.block_pa, cfg.block_lat_a, cfg.block_lat_b)):
        if b > 0:
            model.on_switch()
        target = task.target(p_a, la, lb)
        for i in range(1, cfg.trials_per_block + 1):
            event = 0 if rng.random() < p_a else 1
            train_trial(model, task, event, la, lb)
            n += 1
            tick(1)
            if i % cfg.switch_test_every == 0 or i == 1:
                y = probe(model, task, la, lb, cfg.n_probes)
                trials.append(n)
                errors.append(ana.rmse(y, target, task.score_slice))
    starts = np.arange(len(cfg.block_pa)) * cfg.trials_per_block + 1
    return np.array(trials), np.array(errors), starts


def run(cfg, models, progress: bool = True) -> Result:
    """Both experiments for every model in ``models`` and seed; a Result with the metrics."""
    validate(cfg)
    return run_what_when(cfg, list(models), progress=progress)


def run_what_when(cfg, models, progress=True) -> Result:
    task = Task(cfg)
    levels = np.linspace(0.0, 1.0, int(cfg.levels))
    seeds = [int(cfg.seed) + i for i in range(int(cfg.seeds))]
    la, lb = cfg.latency_a_ms, cfg.latency_b_ms
    mid_idx = int(np.argmin(np.abs(levels - 0.5)))  # condition whose weights give the angles
    n_grid = len(levels) * max(cfg.grid_test_trials) + len(cfg.pca_levels) * max(cfg.grid_test_trials)
    n_switch = len(cfg.block_pa) * cfg.trials_per_block
    total = len(models) * len(seeds) * (n_grid + n_switch)
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=total, desc="what-when", unit="trial")
    tick = bar.update if bar is not None else (lambda k: None)
    metrics, groups = {}, {"raster": {}}
    spikes = {}
    t_start = time.time()
    for mi, name in enumerate(models):
        amps, errs, peak_err, sw_curves, angles, rnd_angles, pca_w, pca_p, pca_lat = ([] for _ in range(9))
        traces = None
        wt_mid = None
        sw_trials = sw_starts = None
        for si, seed in enumerate(seeds):
            if bar is not None:
                bar.set_description(f"{name} seed {seed}")
            model = build_model(name, cfg, seed)
            rng = np.random.default_rng([seed, 7])
            a_seed, e_seed, pk_seed, y_seed = [], [], [], []
            pca_w.append([])
            pca_p.append([])
            pca_lat.append([])
            for li, p_a in enumerate(levels):
                e, y, wts = run_grid_condition(model, task, cfg, p_a, la, lb, rng, cfg.grid_test_trials, tick)
                a_seed.append(ana.amplitudes(y, task.t_ms, cfg.pre_cue_ms + np.array([la, lb]), cfg.amp_window_ms))
                e_seed.append(e)
                pk_seed.append(ana.peak_time_errors(y, task.t_ms, cfg.pre_cue_ms + np.array([la, lb]),
                                                    np.array([p_a, 1 - p_a]), after_ms=cfg.pre_cue_ms))
                y_seed.append(y)
                pca_w[-1].append(ana.flatten_weights(wts))
                pca_p[-1].append(p_a)
                pca_lat[-1].append(la)
                if li == mid_idx:
                    ang = ana.what_when_angles(wts["what"], wts["when"])
                    if np.isfinite(ang).all():
                        angles.append(ang)
                        rnd_angles.append(ana.shuffled_angles(wts["what"], wts["when"],
                                                              np.random.default_rng([seed, 11])))
                    if si == 0:
                        wt_mid = wts
            for p_a in cfg.pca_levels:  # same probabilities at swapped latencies, for the PCA
                _, _, wts = run_grid_condition(model, task, cfg, p_a, lb, la, rng, (max(cfg.grid_test_trials),), tick)
                pca_w[-1].append(ana.flatten_weights(wts))
                pca_p[-1].append(p_a)
                pca_lat[-1].append(lb)
            amps.append(a_seed)
            errs.append(e_seed)
            peak_err.append(pk_seed)
            if si == 0:
                traces = np.array(y_seed)
            sw_trials, sw_err, sw_starts = run_switch(model, task, cfg, rng, tick)
            sw_curves.append(sw_err)
            if mi == 0 and si == 0 and cfg.record_raster_trials > 0 and model.kind == 0:
                spikes["reservoir"], groups["raster"] = record_raster(model, task, cfg, rng)
        amps, errs = np.array(amps), np.array(errs)
        m = ana.summarise(levels=levels, amplitudes=amps, errors=errs,
                          test_trials=np.array(cfg.grid_test_trials), peak_errors=np.array(peak_err),
                          switch_trials=sw_trials, switch_errors=np.array(sw_curves),
                          block_starts=sw_starts, angles=np.array(angles) if angles else None,
                          random_angles=np.array(rnd_angles) if rnd_angles else None,
                          pca_weights=np.array(pca_w), pca_p=np.array(pca_p), pca_latency=np.array(pca_lat),
                          n_seeds=len(seeds))
        metrics[name] = m["metrics"]
        groups.setdefault("grid", {})[name] = {"levels": levels, "amplitudes": amps, "errors": errs,
                                               "test_trials": np.array(cfg.grid_test_trials),
                                               "traces": traces,
                                               "targets": np.array([task.target(p, la, lb) for p in levels])}
        groups.setdefault("switch", {})[name] = {"trials": sw_trials, "errors": np.array(sw_curves),
                                                 "block_starts": sw_starts,
                                                 "recovery50": m["recovery50"], "recovery90": m["recovery90"]}
        groups.setdefault("geometry", {})[name] = {
            "angles_deg": np.array(angles) if angles else np.full((1, 2), np.nan),
            "random_angles_deg": np.array(rnd_angles) if rnd_angles else np.full((1, 2), np.nan),
            "pca_scores": m["pca_scores"], "pca_p": np.array(pca_p[0]), "pca_latency": np.array(pca_lat[0]),
            "when_weights": wt_mid["when"] if wt_mid else np.zeros((2, 1)),
            "what_weights": wt_mid["what"] if wt_mid else np.zeros((2, 1))}
    if bar is not None:
        bar.close()
    groups["task"] = {"t_ms": task.t_ms, "cue_ms": float(cfg.pre_cue_ms),
                      "latency_a_ms": float(la), "latency_b_ms": float(lb),
                      "block_pa": np.array(cfg.block_pa, dtype=float),
                      "block_lat_a": np.array(cfg.block_lat_a, dtype=float),
                      "block_lat_b": np.array(cfg.block_lat_b, dtype=float),
                      "models": ",".join(models)}
    meta = make_meta(seed=int(cfg.seed), backend=cfg.backend, wall_s=round(time.time() - t_start, 2))
    return Result(spikes=spikes, metrics=metrics, config=dataclasses.asdict(cfg), meta=meta, groups=groups)


def record_raster(model, task, cfg, rng):
    """Spikes of ``record_raster_trials`` consecutive training trials (learning on) laid end to end,
    plus the trial structure (trial starts, cue onsets, event times and identities)."""
    times, ids, starts, events, ev_times = [], [], [], [], []
    p_a = cfg.block_pa[0]
    la, lb = cfg.block_lat_a[0], cfg.block_lat_b[0]
    for i in range(int(cfg.record_raster_trials)):
        event = 0 if rng.random() < p_a else 1
        out = train_trial(model, task, event, la, lb, record=True)
        off = i * cfg.trial_ms
        times.append(out.spike_times + off)
        ids.append(out.spike_ids)
        starts.append(off)
        events.append(event)
        ev_times.append(off + cfg.pre_cue_ms + (la, lb)[event])
    raster = {"trial_starts_ms": np.array(starts), "cue_on_ms": np.array(starts) + cfg.pre_cue_ms,
              "cue_ms": float(cfg.cue_ms), "event_ids": np.array(events), "event_ms": np.array(ev_times),
              "n_exc": int(model.n_exc), "n": int(model.cfg.n)}
    return (np.concatenate(times), np.concatenate(ids)), raster


def summary_rows(result) -> list[tuple[str, str]]:
    """Rows (metric, value) of the summary table: the headline metrics of every model."""
    keys = ("r_A", "r_B", "error_trial_1", "error_trial_10", "error_trial_50", "error_trial_100",
            "peak_time_error_ms", "recovery90_trials", "angle_what_when_deg", "angle_random_deg")
    rows = []
    for model, m in result.metrics.items():
        if not isinstance(m, dict):
            continue
        for k in keys:
            if k in m:
                rows.append((f"{model}/{k}", f"{float(m[k]):.4g}"))
    return rows
