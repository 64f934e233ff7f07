"""A sweep's points: parse ``--grid key=v1,v2`` arguments, expand the grid times the seeds, and
name every point by a hash of its full configuration.

A *point* is one paradigm run: one value per grid key and one seed, all other config fields from
the preset and the fixed ``--set`` overrides, and the list of models that run together (paradigms
run several models in one call, as ``spikesim run`` does). The grid is the Cartesian product

    points = { (v_1, ..., v_K, s) : v_k in values(key_k), s in seeds }

so K keys with n_k values and S seeds give S * prod(n_k) points.

The point's folder name is the first 16 hex digits of

    sha256( canonical JSON of {"paradigm", "models", "config": every field of the resolved config} )

(keys sorted, floats in their shortest repr). The hash covers the *resolved* config, not the
command line, so the same run asked for in two ways (``--grid duration=200`` vs a preset with
duration 200) lands in the same folder, and changing anything that changes the run (another
preset, a ``--set``, a new default in a newer spikesim) gives a new folder instead of silently
reusing an old result. This is what makes a rerun resume: points whose folder already holds a
``result.h5`` are done.

Every value is validated on the submitting machine by the paradigm's own ``make_config`` before
anything is written or sent to a worker, so a typo fails at once with :class:`SweepError`.
"""
from __future__ import annotations

import dataclasses
import hashlib
import importlib
import itertools
import json
import math
import typing
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

HASH_LENGTH = 16
RESERVED_COLUMNS = ("point", "model", "metric", "value", "hash", "status", "error", "traceback")


class SweepError(ValueError):
    """Bad sweep input (unknown paradigm or key, empty grid, wrong value type, bad seeds, ...)."""


# -- paradigms ---------------------------------------------------------------------------------
def resolve_paradigm(ref: str):
    """A registered paradigm name (``izhikevich-2003``) or ``package.module:ATTRIBUTE`` naming a
    :class:`spikesim.paradigms.Paradigm` instance of your own (importable on the workers too)."""
    from spikesim import paradigms

    if not isinstance(ref, str) or not ref:
        raise SweepError(f"paradigm must be a non-empty name, got {ref!r}")
    if ":" in ref:
        module_name, _, attr = ref.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise SweepError(f"paradigm {ref!r}: cannot import module {module_name!r} ({exc})") from None
        obj = getattr(module, attr, None)
        if not isinstance(obj, paradigms.Paradigm):
            raise SweepError(f"paradigm {ref!r}: {module_name}.{attr} is not a Paradigm instance")
        return obj
    try:
        return paradigms.get(ref)
    except paradigms.UnknownParadigmError as exc:
        raise SweepError(str(exc)) from None


# -- parsing -----------------------------------------------------------------------------------
def parse_grid_args(items: Sequence[str]) -> dict[str, list[str]]:
    """``["a=1,2", "b=x"]`` -> ``{"a": ["1", "2"], "b": ["x"]}``; errors name the argument."""
    grid: dict[str, list[str]] = {}
    for item in items:
        if "=" not in item:
            raise SweepError(f"--grid expects key=v1,v2,..., got {item!r}")
        key, _, text = item.partition("=")
        key = key.strip()
        if not key:
            raise SweepError(f"--grid {item!r}: empty key")
        if key in grid:
            raise SweepError(f"--grid {key}: given twice")
        values = [v.strip() for v in text.split(",")]
        if not text.strip() or any(v == "" for v in values):
            raise SweepError(f"--grid {key}: empty value list or empty value in {text!r}")
        grid[key] = values
    return grid


def parse_seeds(arg: Any) -> int | list[int]:
    """``"3"`` -> 3 (a count), ``"0,4,9"`` -> [0, 4, 9] (explicit seeds)."""
    if isinstance(arg, str):
        parts = [p.strip() for p in arg.split(",")]
        try:
            values = [int(p) for p in parts]
        except ValueError:
            raise SweepError(f"--seeds expects a count N or a list a,b,c of integers, got {arg!r}") from None
        return values[0] if len(values) == 1 else values
    return arg


def _seed_list(seeds: Any, base: int) -> list[int]:
    """A count N means seeds base, base+1, ..., base+N-1 (base: the config's own seed)."""
    if isinstance(seeds, bool):
        raise SweepError(f"seeds must be a count or a list of integers, got {seeds!r}")
    if isinstance(seeds, int):
        if seeds < 1:
            raise SweepError(f"seeds must be >= 1, got {seeds}")
        return [base + i for i in range(seeds)]
    if isinstance(seeds, (list, tuple)):
        if not seeds:
            raise SweepError("seeds: empty list")
        if not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
            raise SweepError(f"seeds must be integers, got {list(seeds)!r}")
        if len(set(seeds)) != len(seeds):
            raise SweepError(f"seeds: repeated value in {list(seeds)!r}")
        return [int(s) for s in seeds]
    raise SweepError(f"seeds must be a count or a list of integers, got {type(seeds).__name__}")


# -- values ------------------------------------------------------------------------------------
_SCALARS = (bool, int, float, str)


def _check_type(key: str, hint: Any, value: Any) -> Any:
    """A value from Python (not a string) must already have the field's type; ints are accepted
    for float fields and stored as floats so 4 and 4.0 hash alike."""
    if isinstance(value, str):
        return value  # strings go through the paradigm's own --set conversion
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint is bool and isinstance(value, bool):
        return value
    if hint in _SCALARS:
        raise SweepError(f"grid {key}={value!r}: expected {hint.__name__}, got {type(value).__name__}")
    return value


def _plain(value: Any) -> Any:
    """A JSON-able, hash-stable form of a config value (tuples -> lists, -0.0 kept, nan as str)."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, _SCALARS):
        return value
    try:  # numpy scalars
        return value.item()
    except AttributeError:
        raise SweepError(f"config value {value!r} of type {type(value).__name__} is not a plain value") from None


def config_hash(paradigm_name: str, models: Sequence[str], config: Mapping[str, Any]) -> str:
    """The point's folder name (see the module docstring)."""
    text = json.dumps({"paradigm": paradigm_name, "models": list(models), "config": _plain(dict(config))},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:HASH_LENGTH]


# -- expansion ---------------------------------------------------------------------------------
@dataclass
class Point:
    """One run of the sweep: its grid values, seed, and everything a worker needs to redo it."""

    hash: str
    params: dict[str, Any]          # grid key -> value (typed)
    seed: int
    overrides: dict[str, Any]       # typed values passed to make_config on the worker
    config: dict[str, Any]          # the resolved config (plain values)

    def task(self, spec: "SweepSpec") -> dict[str, Any]:
        """The plain dict a worker receives (nothing but builtins, so any worker can unpickle it)."""
        return {"paradigm": spec.paradigm, "preset": spec.preset, "models": list(spec.models),
                "overrides": dict(self.overrides), "hash": self.hash, "params": dict(self.params),
                "seed": self.seed}


@dataclass
class SweepSpec:
    paradigm: str
    preset: str
    models: list[str]
    grid: dict[str, list[Any]]
    seeds: list[int]
    overrides: dict[str, Any]
    points: list[Point] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        """The sweep as plain JSON (stored in sweep.json and sweep.h5)."""
        return {"paradigm": self.paradigm, "preset": self.preset, "models": self.models,
                "grid": _plain(self.grid), "seeds": self.seeds, "overrides": _plain(self.overrides),
                "points": [p.hash for p in self.points]}


def expand(paradigm: str, grid: Mapping[str, Sequence[Any]] | None = None, seeds: Any = 1, *,
           preset: str = "quick", overrides: Mapping[str, Any] | None = None,
           models: str | Sequence[str] | None = None) -> SweepSpec:
    """Validate the sweep and list its points (grid order: last key fastest, seeds innermost)."""
    from spikesim.paradigms import ConfigError

    par = resolve_paradigm(paradigm)
    grid = dict(grid or {})
    overrides = dict(overrides or {})
    try:
        model_list = par.resolve_models(models)
        base_cfg = par.make_config(preset, overrides)
    except ConfigError as exc:
        raise SweepError(str(exc)) from None
    fields = {f.name for f in dataclasses.fields(par.Config)}
    hints = typing.get_type_hints(par.Config)
    if "seed" not in fields:
        raise SweepError(f"paradigm {paradigm!r} has no 'seed' config field, so it cannot be run over seeds")
    for key, values in grid.items():
        if key not in fields:
            raise SweepError(f"paradigm {par.name!r} has no config key {key!r}; keys: {sorted(fields)}")
        if key == "seed":
            raise SweepError("grid key 'seed': use --seeds for seeds")
        if key in RESERVED_COLUMNS:
            raise SweepError(f"grid key {key!r} clashes with a column of the sweep table {RESERVED_COLUMNS}")
        if key in overrides:
            raise SweepError(f"grid key {key!r} is also given as a fixed --set override")
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            raise SweepError(f"grid {key}: expected a list of values, got {type(values).__name__}")
        if len(values) == 0:
            raise SweepError(f"grid {key}: empty value list")
        origin = typing.get_origin(hints.get(key))
        if hints.get(key) in (list, tuple) or origin in (list, tuple):
            raise SweepError(f"grid {key}: list-valued config fields cannot be swept")
    seed_list = _seed_list(seeds, int(getattr(base_cfg, "seed")))

    # Convert and validate every grid value once, through the paradigm's own make_config.
    typed: dict[str, list[Any]] = {}
    for key, values in grid.items():
        typed[key] = []
        for v in values:
            v = _check_type(key, hints.get(key), v)
            try:
                cfg = par.make_config(preset, {**overrides, key: v})
            except ConfigError as exc:
                raise SweepError(f"grid {key}={v!r}: {exc}") from None
            tv = getattr(cfg, key)
            if tv in typed[key]:
                raise SweepError(f"grid {key}: value {v!r} given twice")
            typed[key].append(tv)
    fixed = {k: getattr(base_cfg, k) for k in overrides}

    spec = SweepSpec(paradigm=paradigm, preset=preset, models=model_list, grid=typed, seeds=seed_list,
                     overrides=fixed)
    keys = list(typed)
    for combo in itertools.product(*(typed[k] for k in keys)):
        params = dict(zip(keys, combo))
        for seed in seed_list:
            ov = {**fixed, **params, "seed": seed}
            try:
                cfg = par.make_config(preset, ov)
            except ConfigError as exc:  # a combination the paradigm refuses
                raise SweepError(f"grid point {params} seed {seed}: {exc}") from None
            conf = _plain(dataclasses.asdict(cfg))
            spec.points.append(Point(config_hash(par.name, model_list, conf), params, seed, ov, conf))
    return spec
