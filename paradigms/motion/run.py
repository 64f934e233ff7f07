"""Running the ``motion`` paradigm (see :mod:`spikesim.paradigms.motion` for the protocol):
data, training, the code's evaluation, pruning / shortening curves, Motion Clouds scans."""
from __future__ import annotations

import dataclasses
import time

import numpy as np

from .config import MotionConfig, scan_names, scan_values


def _bar(progress: bool, total: int, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, disable=not progress, leave=False)


def _acc_metrics(decisions, labels) -> dict:
    from spikesim.analysis.motion import accuracy_band

    acc, lo, hi = accuracy_band(np.asarray(decisions) == np.asarray(labels))
    return {"accuracy": acc, "accuracy_band_low": lo, "accuracy_band_high": hi}


def _fit(rows, chance) -> dict:
    from spikesim.analysis.motion import fit_sigmoid

    rows = np.asarray(rows)
    return fit_sigmoid(rows[:, 0], rows[:, 1], chance, top=float(rows[np.argmax(rows[:, 0]), 1]))


def _fit_and_decide(model, x_train, labels, x_test, cfg: MotionConfig, drop: int, progress: bool):
    """Train ``model`` (the Classifier's ``fit`` with the config's settings) and decide on the test
    movies: (decisions, training seconds, decision seconds per movie)."""
    bar = _bar(progress, cfg.n_train_steps, f"{model.name}: train")
    t0 = time.time()
    model.fit(x_train, labels, n_steps=cfg.n_train_steps, batch_size=cfg.batch_size, progress=bar.update,
              top_fraction=cfg.train_top_fraction)
    bar.close()
    train_s = time.time() - t0
    t0 = time.time()
    dec = model.decide(x_test, drop, cfg.top_fraction)
    return dec, train_s, (time.time() - t0) / cfg.n_test


def make_model(name: str, cfg: MotionConfig, n_classes: int = 36):
    """A fresh, untrained model of the paradigm (each a :class:`~spikesim.models.protocols.Classifier`):
    ``hd-snn``, ``hd-snn-event`` (the lowering of an ``hd-snn``) or ``ann-frames``."""
    kernel = (cfg.kernel_t, cfg.kernel_x, cfg.kernel_x)
    if name in ("hd-snn", "hd-snn-event"):
        from spikesim.models.hd_snn import HDSNN, HDSNNEvent

        model = HDSNN(n_classes=n_classes, kernel=kernel, lr=cfg.lr, loss=cfg.loss, use_mask=cfg.use_mask,
                      symmetric=cfg.symmetric, weight_init=cfg.weight_init,
                      weight_init_center=cfg.weight_init_center, seed=cfg.seed, device=cfg.device)
        return model if name == "hd-snn" else HDSNNEvent(model)
    if name == "ann-frames":
        from spikesim.models.adapters.ann_frames import ANNFrames

        return ANNFrames(n_classes=n_classes, kernel=kernel, n_hidden=cfg.ann_hidden or None, lr=cfg.ann_lr,
                         loss=cfg.loss, seed=cfg.seed, device=cfg.device)
    raise ValueError(f"motion has no model {name!r}")


def run(cfg: MotionConfig, models, progress: bool = True):
    import torch

    from spikesim.analysis.motion import prune_levels
    from spikesim.core.result import Result, make_meta
    from spikesim.io.motion_stimuli import MotionWorld

    torch.set_num_threads(cfg.threads)
    if cfg.device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device={cfg.device!r} but CUDA is not available; use --set device=cpu")
    t_start = time.time()
    drop = cfg.kernel_t if cfg.drop_frames < 0 else cfg.drop_frames
    common = dict(n_x=cfg.n_x, n_y=cfg.n_y, n_t=cfg.n_t, image_source=cfg.image_source,
                  image_policy=cfg.image_policy, selectivity=cfg.selectivity)
    train_world = MotionWorld(block_length=cfg.block_length, seed=cfg.seed, **common)
    test_world = MotionWorld(block_length=float("inf"), seed=cfg.seed_test, **common)
    n_classes = train_world.n_classes
    chance = 1.0 / n_classes
    want_ann = "ann-frames" in models
    want_snn = "hd-snn" in models or "hd-snn-event" in models

    bar = _bar(progress, cfg.n_train_movies + cfg.n_test, "motion: movies")
    train = train_world.dataset(cfg.n_train_movies, 0, constant=False, with_movies=want_ann, progress=bar.update,
                                 workers=cfg.workers)
    test = test_world.dataset(cfg.n_test, 0, constant=True, with_movies=want_ann, progress=bar.update,
                                 workers=cfg.workers)
    bar.close()
    ev_tr, lab_tr = train[0], train[1]
    ev_te, lab_te = test[0], test[1]
    y_te = lab_te[:, 0]
    levels = prune_levels(cfg.n_prune_levels, cfg.prune_lowest)
    metrics: dict = {"chance": chance, "input_event_density": float(ev_te.mean())}
    curves: dict = {}
    groups: dict = {"classes": {"phi": train_world.phi, "speed": train_world.speed},
                    "example": {"events": ev_te[0], "label": int(y_te[0])}}
    spikes: dict = {}
    t_in, p_in, x_in, y_in = np.nonzero(ev_te[0].transpose(1, 0, 2, 3))
    spikes["input"] = (t_in.astype(float), (p_in * cfg.n_x + x_in) * cfg.n_y + y_in)

    if want_snn:
        from spikesim.models.hd_snn import HDSNNEvent, shorten_decisions

        model = make_model("hd-snn", cfg, n_classes)
        dense_dec, train_s, dense_s = _fit_and_decide(model, ev_tr, lab_tr, ev_te, cfg, drop, progress)
        m = _acc_metrics(dense_dec, y_te)
        nnz = int((model.layer.weight != 0).sum())
        n_events = ev_te.reshape(cfg.n_test, -1).sum(axis=1).mean()
        n_sets = 2 if cfg.symmetric else 1
        m.update(train_seconds=train_s, n_weights=model.n_weights, final_loss=float(np.mean(model.losses[-20:]))
                 if len(model.losses) else float("nan"),
                 sops_per_movie=float(n_events * nnz / 2 * n_sets),  # each event meets one polarity's weights, per set
                 dense_macs_per_movie=float(n_sets * model.n_weights * cfg.n_t * cfg.n_x * cfg.n_y),
                 wall_seconds_per_movie=dense_s)
        groups["kernels"] = {"hd-snn": model.kernels().astype(np.float32)}
        groups["losses"] = {"hd-snn": model.losses}

        # output spikes: threshold so that the neurons fire rate_hz on average (paper 2.3)
        z = torch.as_tensor(model.evidence(ev_te[: min(4, cfg.n_test)]))
        theta = model.layer.spike_threshold(z, cfg.rate_hz, 1.0)
        s = model.layer.spikes(z[0], theta).numpy()          # (C, T, X, Y)
        c_s, t_s, x_s, y_s = np.nonzero(s)
        order = np.argsort(t_s, kind="stable")
        spikes["hd-snn"] = (t_s[order].astype(float), ((c_s * cfg.n_x + x_s) * cfg.n_y + y_s)[order])
        m["spike_threshold"] = theta
        m["output_rate_hz"] = float(model.layer.spikes(z, theta).float().mean() * 1000.0)

        # pruning curve: per level, the cheaper of the event-driven engine and the dense pass
        # (they make the same decisions); dense only when dense_curves
        bar = _bar(progress, len(levels), "hd-snn: pruning")
        prune_rows, engine_rows, sops_rows, event_rows = [], [], [], []
        # rough cost of the core's event-driven pass (numba, one core, the weight-shared Conv2D
        # lowering, measured on the benchmark movie): ~1e-8 s per synaptic operation; lowering
        # and plan cost next to nothing (the kernel's entries are stored once)
        for f in levels:
            pm = model.pruned(float(f))
            kept = pm.nonzero_fraction()
            est_event_s = n_events * kept * model.n_weights / 2 * n_sets * 1e-8
            if not cfg.dense_curves and est_event_s < 0.5 * dense_s:
                ev_model = HDSNNEvent(pm, dtype=cfg.event_dtype)
                dec = ev_model.decide(ev_te, drop, cfg.top_fraction)
                event_rows.append((kept, float(np.mean(dec == y_te))))
                sops_rows.append((kept, float(ev_model.last_sops.mean())))
                engine_rows.append(1)
            else:
                dec = pm.decide(ev_te, drop, cfg.top_fraction)
                engine_rows.append(0)
            prune_rows.append((kept, float(np.mean(dec == y_te))))
            bar.update(1)
        bar.close()
        # shortening curve
        kt = cfg.kernel_t
        if cfg.dense_curves:
            short_dec = np.stack([model.shortened(i).decide(ev_te, drop, cfg.top_fraction) for i in range(kt)])
        else:
            short_dec = shorten_decisions(model, ev_te, drop, cfg.top_fraction)
        shorten_rows = [(1 - i / kt, float(np.mean(short_dec[i] == y_te))) for i in range(kt)]
        fit_p, fit_s = _fit(prune_rows, chance), _fit(shorten_rows, chance)
        m.update(prune_half_saturation=fit_p["half_saturation"], prune_fit_width=fit_p["width"],
                 shorten_half_saturation=fit_s["half_saturation"], shorten_fit_width=fit_s["width"])
        if "hd-snn" in models:
            metrics["hd-snn"] = m
            curves["hd-snn"] = {"prune": np.asarray(prune_rows), "shorten": np.asarray(shorten_rows),
                                "prune_event_engine": np.asarray(engine_rows)}
        if "hd-snn-event" in models:
            # the lowered layer at event_kept_fraction, every test movie event by event
            f_ev = cfg.event_kept_fraction
            pm = model.pruned(f_ev)
            dense_pruned = pm.decide(ev_te, drop, cfg.top_fraction)
            ev_model = HDSNNEvent(pm, dtype=cfg.event_dtype)
            dec = ev_model.decide(ev_te, drop, cfg.top_fraction)
            # inference wall time per movie, event-driven (the core's loop; lowering and plan
            # reported apart) vs the dense pass of the same weights (evidence only, no decision)
            event_s = float(ev_model.last_run_seconds.mean())
            t0 = time.time()
            for i in range(cfg.n_test):
                pm.evidence(ev_te[i:i + 1])
            dense_pruned_s = (time.time() - t0) / cfg.n_test
            # the speed bar is at 1 % of the weights: time that too on a few movies
            n_few = min(8, cfg.n_test)
            ev1 = HDSNNEvent(model.pruned(0.01), dtype=cfg.event_dtype)
            for _ in ev1.evidence(ev_te[:n_few]):
                pass
            event1_s = float(ev1.last_run_seconds.mean())
            me = _acc_metrics(dec, y_te)
            w_kept = pm.nonzero_fraction()
            me.update(kept_fraction=w_kept, agreement_with_dense=float(np.mean(dec == dense_pruned)),
                      sops_per_movie=float(ev_model.last_sops.mean()),
                      sops_per_event=float(ev_model.last_sops.sum() / max(ev_te.sum(), 1)),
                      wall_seconds_per_movie=event_s, dense_wall_seconds_per_movie=dense_pruned_s,
                      lowering_seconds=ev_model.last_build_seconds,
                      speedup_vs_dense=dense_pruned_s / max(event_s, 1e-12),
                      wall_seconds_per_movie_at_1pct=event1_s, speedup_vs_dense_at_1pct=dense_pruned_s / max(event1_s, 1e-12))
            metrics["hd-snn-event"] = me
            event_rows.append((w_kept, me["accuracy"]))
            sops_rows.append((w_kept, me["sops_per_movie"]))
            order = np.argsort([r[0] for r in event_rows])
            curves["hd-snn-event"] = {"prune": np.asarray(event_rows)[order], "sops": np.asarray(sops_rows)[order]}
        scans = _mc_scans(cfg, lambda ev: model.decide(ev, drop, cfg.top_fraction), progress)
        if scans:
            groups["mc_scans"] = {"hd-snn": scans}

    if want_ann:
        mv_tr, mv_te = train[2], test[2]
        ann = make_model("ann-frames", cfg, n_classes)
        dec, train_s, ann_s = _fit_and_decide(ann, mv_tr, lab_tr, mv_te, cfg, drop, progress)
        ma = _acc_metrics(dec, y_te)
        ma.update(train_seconds=train_s, n_weights=ann.n_weights, wall_seconds_per_movie=ann_s,
                  final_loss=float(np.mean(ann.losses[-20:])) if len(ann.losses) else float("nan"),
                  sops_per_movie=float(ann.macs_per_movie(cfg.n_t, cfg.n_x, cfg.n_y)), ops_kind="dense MACs")
        groups.setdefault("losses", {})["ann-frames"] = ann.losses
        if cfg.ann_curves:
            bar = _bar(progress, len(levels) + cfg.kernel_t, "ann-frames: curves")
            prune_rows = []
            for f in levels:
                prune_rows.append((float(f), float(np.mean(ann.pruned(float(f)).decide(mv_te, drop, cfg.top_fraction) == y_te))))
                bar.update(1)
            shorten_rows = []
            for i in range(cfg.kernel_t):
                shorten_rows.append((1 - i / cfg.kernel_t,
                                     float(np.mean(ann.shortened(i).decide(mv_te, drop, cfg.top_fraction) == y_te))))
                bar.update(1)
            bar.close()
            fp, fs = _fit(prune_rows, chance), _fit(shorten_rows, chance)
            ma.update(prune_half_saturation=fp["half_saturation"], shorten_half_saturation=fs["half_saturation"])
            curves["ann-frames"] = {"prune": np.asarray(prune_rows), "shorten": np.asarray(shorten_rows)}
        metrics["ann-frames"] = ma

    if curves:
        groups["curves"] = curves
    metrics["wall_seconds"] = time.time() - t_start
    return Result(spikes=spikes, metrics=metrics, config=dataclasses.asdict(cfg),
                  meta=make_meta(seed=cfg.seed, backend=f"torch-{cfg.device}+numba"), groups=groups)


def _mc_scans(cfg: MotionConfig, decide, progress: bool) -> dict:
    """Motion Clouds robustness scans (aperture / perpend) without retraining."""
    from spikesim.io.motion_stimuli import make_events, motion_classes, motion_cloud_movie

    names = scan_names(cfg)
    if not names:
        return {}
    phi, speed = motion_classes()
    out: dict = {}
    bar = _bar(progress, len(names) * cfg.mc_n_values * 2, "motion clouds")
    for name in names:
        values = scan_values(name, cfg.mc_n_values)
        res = {"values": values}
        for cond in ("aperture", "perpend"):
            accs = []
            for v in values:
                rng = np.random.default_rng([cfg.seed_test, 7])
                labels = np.arange(cfg.mc_n_test) % len(phi)
                ev = np.empty((cfg.mc_n_test, 2, cfg.n_t, cfg.n_x, cfg.n_y), dtype=np.uint8)
                for i, k in enumerate(labels):
                    params = {"sf_0": 0.15, "B_sf": 0.15, "B_V": 0.05, "B_theta": np.pi / 12}
                    params[name] = float(v)
                    if name == "sf_0":
                        params["B_sf"] = float(v)
                    theta = float(phi[k]) if cond == "perpend" else float(rng.uniform(0, np.pi))
                    movie = motion_cloud_movie(cfg.n_x, cfg.n_y, cfg.n_t, float(phi[k]), float(speed[k]),
                                               theta=theta, seed=1973 if cfg.mc_fixed_seed else cfg.seed_test + i,
                                               **params)
                    ev[i] = make_events(movie, cfg.selectivity)
                accs.append(float(np.mean(decide(ev) == labels)))
                bar.update(1)
            res[cond] = np.asarray(accs)
        out[name] = res
    bar.close()
    return out


def summary_rows(result) -> list[tuple[str, str]]:
    """The summary table of a run: accuracy, curve fits, operations and speed per model."""
    rows = []
    for model, m in result.metrics.items():
        if not isinstance(m, dict):
            continue
        for k in ("accuracy", "accuracy_band_low", "accuracy_band_high", "prune_half_saturation",
                  "shorten_half_saturation", "sops_per_movie", "kept_fraction", "agreement_with_dense",
                  "speedup_vs_dense", "speedup_vs_dense_at_1pct", "train_seconds"):
            if k in m:
                rows.append((f"{model}/{k}", f"{float(m[k]):.4g}"))
    if "chance" in result.metrics:
        rows.append(("chance", f"{result.metrics['chance']:.4g}"))
    return rows


__all__ = ["make_model", "run", "summary_rows"]
