"""Paradigm ``izhikevich-2003``: the classic 1000-neuron network of Izhikevich (2003) on the
event-driven core. Metrics: mean rate and ISI CV per population, synaptic events, simulation
speed. Figures: raster and population rate histogram.

``config`` (fields, presets, checks), ``run`` (the simulation and its metrics), ``figures``."""
from __future__ import annotations

from spikesim.paradigms.base import Paradigm

from . import config
from .config import Config


class Izhikevich2003(Paradigm):
    name = "izhikevich-2003"
    description = "Izhikevich (2003) 800 exc / 200 inh network, thalamic noise; rates, ISI CV, speed"
    Config = Config
    presets = config.PRESETS
    models = ("izhikevich-2003",)
    package = __name__


PARADIGM = Izhikevich2003()

__all__ = ["Config", "Izhikevich2003", "PARADIGM"]
