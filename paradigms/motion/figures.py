"""Figures of the ``motion`` paradigm: accuracy bars, pruning / shortening curves, learned
kernels, an event raster and the Motion Clouds scans."""
from __future__ import annotations

from pathlib import Path


def figures(result, out_dir) -> list[Path]:
    from spikesim.plot.motion import plot_accuracy, plot_curve, plot_event_raster, plot_kernels, plot_scan

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    chance = float(result.metrics.get("chance", 1 / 36))
    paths = []
    acc = {k: (v["accuracy"], v["accuracy_band_low"], v["accuracy_band_high"])
           for k, v in result.metrics.items() if isinstance(v, dict) and "accuracy" in v}
    if acc:
        paths.append(plot_accuracy(acc, chance, out_dir / "motion_accuracy.png"))
    curves = result.groups.get("curves", {})
    for kind, title in (("prune", "pruning (magnitude)"), ("shorten", "shortening (longest delays first)")):
        cs = {k: v[kind] for k, v in curves.items() if kind in v and k != "hd-snn-event"}
        if cs:
            from spikesim.analysis.motion import fit_sigmoid

            fits = {k: fit_sigmoid(v[:, 0], v[:, 1], chance) for k, v in cs.items()}
            paths.append(plot_curve(cs, fits, chance, out_dir / f"motion_{kind}.png", title))
    if "kernels" in result.groups and "hd-snn" in result.groups["kernels"]:
        cl = result.groups["classes"]
        paths.append(plot_kernels(result.groups["kernels"]["hd-snn"], cl["phi"], cl["speed"],
                                  out_dir / "motion_kernels.png"))
    if "example" in result.groups:
        paths.append(plot_event_raster(result.groups["example"]["events"], out_dir / "motion_events.png"))
    for name, scan in result.groups.get("mc_scans", {}).get("hd-snn", {}).items():
        paths.append(plot_scan(scan["values"], {c: scan[c] for c in ("aperture", "perpend") if c in scan}, chance,
                               out_dir / f"motion_clouds_{name}.png", name))
    return paths


__all__ = ["figures"]
