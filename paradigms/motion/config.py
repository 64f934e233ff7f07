"""Config and presets of the ``motion`` paradigm (defaults = the quick preset; ``full`` = the
paper's scale), its checks and the Motion Clouds scan values."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikesim.core.validate import WEIGHT_DTYPES
from spikesim.paradigms.base import ConfigError

MC_SCANS = {  # (base value, multiplicative span as exponents) as in the authors' notebook
    "sf_0": (0.15, 8.0, (-0.7, 1.3)),
    "B_sf": (0.15, 10.0, (-1.0, 1.0)),
    "B_theta": (np.pi / 12, 4.0, (-1.5, 0.5)),
    "B_V": (0.05, 10.0, (-1.0, 1.0)),
}


@dataclass
class MotionConfig:
    """Defaults = the ``quick`` preset (32x32x50 movies, 11x9x9 kernel, CPU minutes)."""

    n_x: int = 32                       # movie height in pixels (rows), >= 8
    n_y: int = 32                       # movie width in pixels (columns), >= 8
    n_t: int = 50                       # frames per movie (1 frame = 1 ms), >= 4
    kernel_t: int = 11                  # K_T: delays 0 .. K_T-1 ms per synapse of the HD-SNN (and the ANN's time window)
    kernel_x: int = 9                   # K_X = K_Y: spatial extent of the kernel in pixels, odd
    n_train_movies: int = 100           # training movies (random-walk labels), drawn once
    n_train_steps: int = 300            # Adam steps per model (0: no training)
    batch_size: int = 1                 # movies per training step
    lr: float = 2e-3                    # Adam learning rate of the HD-SNN, > 0
    ann_lr: float = 2e-3                # Adam learning rate of ann-frames, > 0
    ann_hidden: int = 0                 # ann-frames hidden filters (0: 2 x n_classes, a size comparable to the HD-SNN)
    loss: str = "ce"                    # "ce": softmax cross-entropy per voxel (the code) | "bce": sigmoid + BCE (paper text)
    train_top_fraction: float = 0.1     # code's p_B, in (0, 1]: one-hot targets only at this top fraction of voxels
                                        # (by max logit; uniform 1/C elsewhere); 1 = all voxels, the code's main
                                        # run; 0.06-0.16 was best in its scan
    use_mask: bool = True               # project the kernel onto the cone mask before every training pass
    symmetric: bool = True              # ON/OFF symmetry: logit = max(B[A], B[A with polarities swapped])
    weight_init: float = 0.01           # sd of the Gaussian initial weights (times the mask if use_mask)
    weight_init_center: float = 4.0     # initial weight of the delay-0 centre synapse (+ ON, - OFF)
    image_source: str = "leaves"        # leaves (dead leaves) | noise (1/f) | cloud (static Motion Cloud) |
                                        # path to a folder or .npy of grayscale images; all whitened
    image_policy: str = "fixed-per-world"  # fixed-per-world: one image per world (the code) | per-movie (paper text)
    block_length: float = 24.0          # training labels: mean length (frames = ms) of a constant-motion block, >= 1
    selectivity: float = 1.0            # event threshold theta = selectivity x std of the frame differences, > 0
    n_test: int = 72                    # test movies (one constant motion each)
    drop_frames: int = -1               # test frames ignored at the start of each movie (-1: kernel_t, as the code)
    top_fraction: float = 0.15          # test decision: sum the evidence over this top fraction of voxels, in (0, 1]
    n_prune_levels: int = 12            # points of the pruning curve (kept fractions log-spaced), >= 3
    prune_lowest: float = 1e-4          # smallest kept fraction of the pruning curve, in (0, 1)
    dense_curves: bool = False          # hd-snn pruning curve with dense passes only (GPU); else per level
                                        # the cheaper of the event-driven engine and the dense pass
    event_kept_fraction: float = 0.03   # hd-snn-event: the lowered layer pruned to this fraction, in (0, 1]
    event_dtype: str = "float64"        # hd-snn-event and the pruning curve's core passes: the core's
                                        # weights and ring, float64 | float32 (1.3-1.4x faster)
    ann_curves: bool = False            # pruning/shortening curves of the ANN (dense passes; slow on CPU)
    mc_scans: str = "sf_0"              # Motion Clouds scans, comma list of sf_0,B_sf,B_theta,B_V ("" = none)
    mc_n_values: int = 3                # values per Motion Clouds scan (log-spaced around the base), >= 2
    mc_n_test: int = 36                 # test clouds per scan value and condition
    mc_fixed_seed: bool = True          # one random-phase field (seed 1973) for every cloud (the code); else one per movie
    rate_hz: float = 1.0                # output spike rate (Hz) that sets the reported spike threshold on the logits
    seed: int = 2023                    # training world (images, labels), initial weights, batch order
    seed_test: int = 2423               # test world and Motion Clouds orientations
    device: str = "cpu"                 # torch device: cpu | cuda | cuda:N
    threads: int = 1                    # torch CPU threads, >= 1
    workers: int = 1                    # processes that draw the movies (same movies for any value)


FULL = dict(n_x=128, n_y=128, n_t=200, kernel_t=21, kernel_x=17, n_train_movies=400, n_train_steps=80000,
            lr=2e-4, ann_lr=2e-4, train_top_fraction=1.0, n_test=200, n_prune_levels=32, dense_curves=True, ann_curves=True,
            mc_scans="sf_0,B_sf,B_theta,B_V", mc_n_values=6, mc_n_test=200, device="cuda")


PRESETS = {"quick": {}, "full": FULL}


def validate(cfg: MotionConfig) -> None:
    """Raise :class:`ConfigError` for values the run cannot use."""
    if min(cfg.n_x, cfg.n_y) < 8 or cfg.n_t < 4:
        raise ConfigError(f"n_x, n_y must be >= 8 and n_t >= 4; got {cfg.n_x}, {cfg.n_y}, {cfg.n_t}")
    if cfg.kernel_t < 1 or cfg.kernel_x < 1 or cfg.kernel_x % 2 == 0:
        raise ConfigError(f"kernel_t must be >= 1 and kernel_x odd; got {cfg.kernel_t}, {cfg.kernel_x}")
    drop = cfg.kernel_t if cfg.drop_frames < 0 else cfg.drop_frames
    if drop >= cfg.n_t:
        raise ConfigError(f"drop_frames ({drop}) must be < n_t ({cfg.n_t})")
    for k in ("n_train_movies", "n_test", "batch_size", "mc_n_test", "threads"):
        if getattr(cfg, k) < 1:
            raise ConfigError(f"{k} must be >= 1; got {getattr(cfg, k)}")
    if cfg.n_train_steps < 0:
        raise ConfigError(f"n_train_steps must be >= 0; got {cfg.n_train_steps}")
    if cfg.loss not in ("ce", "bce"):
        raise ConfigError(f"loss must be 'ce' or 'bce'; got {cfg.loss!r}")
    if not 0 < cfg.train_top_fraction <= 1:
        raise ConfigError(f"train_top_fraction must be in (0, 1]; got {cfg.train_top_fraction}")
    if not 0 < cfg.event_kept_fraction <= 1:
        raise ConfigError(f"event_kept_fraction must be in (0, 1]; got {cfg.event_kept_fraction}")
    if cfg.event_dtype not in WEIGHT_DTYPES:
        raise ConfigError(f"event_dtype must be one of {WEIGHT_DTYPES}; got {cfg.event_dtype!r}")
    if not 0 < cfg.top_fraction <= 1:
        raise ConfigError(f"top_fraction must be in (0, 1]; got {cfg.top_fraction}")
    if not (cfg.lr > 0 and cfg.ann_lr > 0):
        raise ConfigError(f"lr and ann_lr must be positive; got {cfg.lr}, {cfg.ann_lr}")
    if cfg.image_policy not in ("fixed-per-world", "per-movie"):
        raise ConfigError(f"image_policy must be 'fixed-per-world' or 'per-movie'; got {cfg.image_policy!r}")
    bad = [s for s in scan_names(cfg) if s not in MC_SCANS]
    if bad:
        raise ConfigError(f"mc_scans: unknown scan {bad[0]!r}; known: {', '.join(MC_SCANS)}")
    if cfg.mc_n_values < 2 and scan_names(cfg):
        raise ConfigError(f"mc_n_values must be >= 2; got {cfg.mc_n_values}")
    if cfg.n_prune_levels < 3:
        raise ConfigError(f"n_prune_levels must be >= 3; got {cfg.n_prune_levels}")
    if cfg.block_length < 1:
        raise ConfigError(f"block_length must be >= 1; got {cfg.block_length}")
    if cfg.selectivity <= 0:
        raise ConfigError(f"selectivity must be positive; got {cfg.selectivity}")


def scan_names(cfg) -> list[str]:
    """The Motion Clouds scans named in ``cfg.mc_scans`` (comma list)."""
    return [s.strip() for s in cfg.mc_scans.split(",") if s.strip()]


def scan_values(name: str, n: int) -> np.ndarray:
    base, factor, (lo, hi) = MC_SCANS[name]
    return base * factor ** np.linspace(lo, hi, n)


__all__ = ["MotionConfig", "PRESETS", "FULL", "MC_SCANS", "validate", "scan_names", "scan_values"]
