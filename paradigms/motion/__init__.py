"""Paradigm ``motion``: fast motion detection with heterogeneous delays (Grimaldi & Perrinet 2023,
Biol. Cybern., doi:10.1007/s00422-023-00975-8), following the protocol of the authors' code.

* Data (:mod:`spikesim.io.motion_stimuli`): whitened natural-like images translated by
  sub-pixel Fourier shifts; 36 classes = 12 directions x 3 speeds (0.25, 0.397, 0.630 px per
  1-ms frame); training labels are a random walk (mean block 24 ms), test movies have one
  constant motion; events by the code's residual ON/OFF rule. Training and test worlds use
  different seeds (so different images under the code's ``fixed-per-world`` image policy).
* Models: ``hd-snn`` (dense torch layer), ``hd-snn-event`` (its lowering onto the event-driven
  core: a ``SpikeSource`` of the events, one synapse per non-zero weight with its delay,
  ``MaxReadout`` units; same decisions), ``ann-frames`` (frame-based CNN).
* Metrics per model under ``/metrics/<model>/``: ``accuracy``, ``accuracy_band_low/high``
  (binomial 5-95 %), ``sops_per_movie``, and for ``hd-snn`` and ``ann-frames``
  ``prune_half_saturation``, ``shorten_half_saturation``; curves under
  ``/curves/<model>/{prune,shorten}`` as (kept fraction, accuracy) rows. Each level of the
  HD-SNN pruning curve is computed with the cheaper of the event-driven engine and the dense
  pass (same decisions; ``prune_event_engine`` marks the event-driven levels), or densely with
  ``dense_curves=True``; its shortening curve uses the linearity of the evidence in the per-delay
  contributions (one dense pass, then cumulative sums from the shortest delay).
  ``hd-snn-event`` is the lowered layer pruned to ``event_kept_fraction`` (3 %, where the paper
  finds near-peak accuracy), run event by event on every test movie: accuracy, measured synaptic
  operations (the core's event counter: one per synapse of each event, in-frame targets only),
  wall time of the core's loop against the dense pass of the same weights (the lowering and
  plan build, once per model, in ``lowering_seconds``), and its agreement with it;
  ``/curves/hd-snn-event/{prune,sops}`` hold the levels it ran.
* Motion Clouds robustness (``mc_scans``): accuracy vs ``sf_0``, ``B_sf``, ``B_theta``, ``B_V``
  in the ``aperture`` (random texture orientation) and ``perpend`` (orientation = direction
  of motion) conditions, without retraining.

Files: ``config`` (fields, presets, checks), ``run`` (data, training, evaluation, curves, scans),
``figures``.
"""
from __future__ import annotations

from spikesim.paradigms.base import Paradigm

from . import config
from .config import MotionConfig


class MotionParadigm(Paradigm):
    name = "motion"
    description = "36-class motion detection from ON/OFF events with learned heterogeneous delays (Grimaldi & Perrinet 2023)"
    Config = MotionConfig
    presets = config.PRESETS
    models = ("hd-snn", "hd-snn-event", "ann-frames")
    default_models = ("hd-snn", "hd-snn-event", "ann-frames")

    path_fields = {"image_source": ("leaves", "noise", "cloud")}
    package = __name__


PARADIGM = MotionParadigm()

__all__ = ["MotionConfig", "MotionParadigm", "PARADIGM"]
