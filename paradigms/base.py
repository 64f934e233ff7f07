"""The paradigm protocol: a config dataclass, presets, model names, ``run`` and ``figures``.

A paradigm package defines a subclass of :class:`Paradigm` and exposes one instance as
``PARADIGM``; :mod:`spikesim.paradigms` finds it by name. A paradigm laid out as
``paradigms/<name>/`` sets ``package = __name__`` and the base class finds its parts there:
``config.validate(cfg)``, ``run.run(cfg, models, progress)``, ``run.summary_rows(result)`` (if
defined) and ``figures.figures(result, out_dir)``, each imported only when called. The CLI calls,
in order::

    cfg = paradigm.make_config(preset, overrides)      # --preset, --set key=value
    models = paradigm.resolve_models(model_arg)         # --model a,b | all | (default)
    result = paradigm.run(cfg, models, progress=True)   # -> spikesim.Result with metrics
    paths = paradigm.figures(result, out_dir)           # PNG files
"""
from __future__ import annotations

import dataclasses
import importlib
import json
import math
import os
import typing
from pathlib import Path
from typing import Any, Mapping, Sequence


class ConfigError(ValueError):
    """A preset, model name or --set override that the paradigm does not accept."""


def _coerce(field_name: str, type_hint: Any, text: Any) -> Any:
    """Convert a --set value (a string) to the type of the config field."""
    if not isinstance(text, str):
        return text
    origin = typing.get_origin(type_hint)
    try:
        if type_hint is bool:
            low = text.lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        if type_hint is int:
            return int(text)
        if type_hint is float:
            value = float(text)
            if not math.isfinite(value):
                raise ConfigError(f"--set {field_name}={text!r}: must be a finite number")
            return value
        if type_hint is str:
            return text
        if origin in (list, tuple) or type_hint in (list, tuple):
            value = json.loads(text) if text.strip().startswith("[") else [s for s in text.split(",") if s]
            args = typing.get_args(type_hint)
            if not isinstance(value, list):
                raise ValueError(text)
            if args and args[0] in (int, float, str):
                if args[0] in (int, float) and any(isinstance(v, (bool, list, dict)) or v is None for v in value):
                    raise ValueError(text)
                value = [args[0](v) for v in value]
                if args[0] is float and not all(math.isfinite(v) for v in value):
                    raise ConfigError(f"--set {field_name}={text!r}: every element must be a finite number")
            return tuple(value) if (origin is tuple or type_hint is tuple) else list(value)
        if origin is typing.Union or str(origin) == "types.UnionType":
            for arg in typing.get_args(type_hint):
                if arg is type(None):
                    if text.lower() in ("none", "null"):
                        return None
                    continue
                try:
                    return _coerce(field_name, arg, text)
                except ConfigError:
                    continue
            raise ValueError(text)
        return json.loads(text)
    except ConfigError:
        raise
    except (ValueError, TypeError, OverflowError, RecursionError, json.JSONDecodeError):
        raise ConfigError(f"--set {field_name}={text!r}: cannot convert to {type_hint}") from None


def _check_seeds(cfg) -> None:
    """Integer config fields named like a seed must be valid seeds (0 .. 2**63 - 1)."""
    from spikesim.core.validate import check_seed

    for f in dataclasses.fields(cfg):
        if f.name == "seed" or f.name.startswith("seed_") or f.name.endswith("_seed"):
            value = getattr(cfg, f.name)
            if isinstance(value, int) and not isinstance(value, bool):
                try:
                    check_seed(value, f.name)
                except (TypeError, ValueError) as exc:
                    raise ConfigError(str(exc)) from None


def _field_comments(cls) -> dict[str, str]:
    """Field name -> its comment, for the fields written in ``cls``'s own source (see
    :func:`config_fields`)."""
    import ast
    import inspect
    import io
    import textwrap
    import tokenize

    try:
        src = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    comments: dict[int, tuple[int, str, bool]] = {}      # line -> (column, text, comment-only line)
    lines = src.splitlines()
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type == tokenize.COMMENT:
            row, col = tok.start
            only = not lines[row - 1][:col].strip()
            comments[row] = (col, tok.string.lstrip("#").strip(), only)
    used: set[int] = set()
    where: dict[str, str] = {}
    for node in ast.parse(src).body[0].body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        end = node.end_lineno
        if end in comments and not comments[end][2]:      # trailing comment, maybe continued below
            col, text, _ = comments[end]
            parts, k = [text], end + 1
            while k in comments and comments[k][2] and comments[k][0] == col:
                parts.append(comments[k][1])
                used.add(k)
                k += 1
            where[node.target.id] = " ".join(parts)
            continue
        above, k = [], node.lineno - 1                  # a comment block right above the field
        while k in comments and comments[k][2] and k not in used:
            above.insert(0, comments[k][1])
            k -= 1
        where[node.target.id] = " ".join(above)
    return where


def config_fields(config_cls) -> list[tuple[str, str, Any, str]]:
    """(name, type, default, meaning) of every field of a config dataclass, in order. The meaning
    is the field's comment in the class source: the ``# ...`` at the end of its line (continued on
    the comment-only lines below it that start in the same column), or else the comment lines right
    above it ("" when there is none). Fields inherited from a base dataclass take their meaning
    from the base's source."""
    where: dict[str, str] = {}
    for cls in reversed(config_cls.__mro__):
        if dataclasses.is_dataclass(cls):
            where.update({k: v for k, v in _field_comments(cls).items() if v})
    hints = typing.get_type_hints(config_cls)
    out = []
    for f in dataclasses.fields(config_cls):
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = None
        hint = hints.get(f.name, f.type)
        type_name = getattr(hint, "__name__", None) if typing.get_origin(hint) is None else None
        out.append((f.name, type_name or str(hint).replace("typing.", ""), default, where.get(f.name, "")))
    return out


class Paradigm:
    """Base class for task paradigms (see the module docstring for the protocol)."""

    name: str = ""
    description: str = ""
    Config: type = object               # a dataclass whose defaults are the quick preset
    presets: Mapping[str, Mapping[str, Any]] = {"quick": {}}
    models: Sequence[str] = ()          # accepted --model names
    accepts_nir: bool = False           # also --model nir:path/to/graph.nir (a trained NIR graph)
    default_models: Sequence[str] = ()  # what runs without --model (default: models[:1])
    package: str = ""                   # "paradigms.<name>" package whose config/run/figures modules
                                        # hold the parts (see the module docstring); "" = override them

    def _part(self, module: str):
        return importlib.import_module(f"{self.package}.{module}")

    # -- configuration ------------------------------------------------------------------------
    def make_config(self, preset: str = "quick", overrides: Mapping[str, Any] | None = None):
        if preset not in self.presets:
            raise ConfigError(f"paradigm {self.name!r} has no preset {preset!r}; presets: {sorted(self.presets)}")
        hints = typing.get_type_hints(self.Config)
        fields = {f.name for f in dataclasses.fields(self.Config)}
        values: dict[str, Any] = dict(self.presets[preset])
        for key, text in (overrides or {}).items():
            if key not in fields:
                raise ConfigError(f"paradigm {self.name!r} has no config key {key!r}; keys: {sorted(fields)}")
            values[key] = _coerce(key, hints.get(key, str), text)
        cfg = self.Config(**values)
        _check_seeds(cfg)
        try:
            self.validate(cfg)
        except ConfigError:
            raise
        except (TypeError, ValueError, OverflowError) as exc:   # a check tripped over a value of the wrong kind
            raise ConfigError(f"paradigm {self.name!r}: invalid configuration ({exc})") from None
        return cfg

    def validate(self, cfg) -> None:
        """Raise ConfigError for impossible values (the package's ``config.validate``)."""
        if self.package:
            self._part("config").validate(cfg)

    #: config fields naming local files or folders -> built-in values of that field that are not
    #: paths (an empty value means "not used"); checked by :meth:`check_paths` before any work
    path_fields: Mapping[str, Sequence[str]] = {"data_dir": ()}

    def check_paths(self, cfg) -> None:
        """Raise ConfigError for a data path in ``cfg`` that does not exist or cannot be read;
        called by the CLI after :meth:`make_config`, before any work."""
        for name, builtins in self.path_fields.items():
            value = getattr(cfg, name, "")
            if not value or value in builtins:
                continue
            path = Path(str(value)).expanduser()
            if not path.exists():
                raise ConfigError(f"{name}={value!r}: no such file or folder")
            if name.endswith("_dir") and not path.is_dir():
                raise ConfigError(f"{name}={value!r}: not a folder")
            if path.is_dir():
                if not os.access(path, os.R_OK | os.X_OK):
                    raise ConfigError(f"{name}={value!r}: the folder is not readable")
            elif not path.is_file():
                raise ConfigError(f"{name}={value!r}: not a regular file or folder")
            elif not os.access(path, os.R_OK):
                raise ConfigError(f"{name}={value!r}: the file is not readable")

    def resolve_models(self, arg: str | Sequence[str] | None = None) -> list[str]:
        if arg is None or arg == "" or arg == []:
            return list(self.default_models or self.models[:1])
        names = arg.split(",") if isinstance(arg, str) else list(arg)
        if names == ["all"]:
            return list(self.models)
        unknown = [m for m in names if m not in self.models and not (self.accepts_nir and m.startswith("nir:"))]
        for m in names:
            if self.accepts_nir and m.startswith("nir:") and not Path(m[4:]).expanduser().is_file():
                raise ConfigError(f"--model {m}: no such NIR file")
        if unknown:
            raise ConfigError(f"paradigm {self.name!r} has no model {unknown[0]!r}; models: {list(self.models)}")
        return names

    # -- running ------------------------------------------------------------------------------
    def run(self, cfg, models: Sequence[str], progress: bool = True):
        """Run the paradigm and return a :class:`spikesim.Result` with ``metrics`` filled in."""
        if not self.package:
            raise NotImplementedError(f"paradigm {self.name!r} defines no run")
        return self._part("run").run(cfg, models, progress)

    def figures(self, result, out_dir: str | Path) -> list[Path]:
        """Write the paradigm's PNG figures for ``result`` into ``out_dir``; return their paths."""
        if not self.package:
            return []
        return self._part("figures").figures(result, out_dir)

    def summary(self, result) -> list[tuple[str, str]]:
        """Rows (metric, value) for the summary table printed at the end of a run: the package's
        ``run.summary_rows`` if it has one, else every number and string of ``result.metrics``."""
        rows_of = getattr(self._part("run"), "summary_rows", None) if self.package else None
        if rows_of is not None:
            return rows_of(result)
        rows: list[tuple[str, str]] = []

        def walk(prefix: str, tree: Mapping[str, Any]):
            for k, v in tree.items():
                key = f"{prefix}{k}"
                if isinstance(v, Mapping):
                    walk(key + "/", v)
                elif isinstance(v, (int, float)) and not isinstance(v, bool):
                    rows.append((key, f"{v:.4g}"))
                elif isinstance(v, str):
                    rows.append((key, v))
        walk("", result.metrics)
        return rows
