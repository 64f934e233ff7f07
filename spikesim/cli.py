"""Command line: ``spikesim list``, ``spikesim show PARADIGM``, ``spikesim run PARADIGM [--model M]
[--preset P] [--set key=value ...] [--out DIR] [--no-figures] [--quiet]`` and ``spikesim sweep``;
``--debug`` shows tracebacks.

Errors are one line on stderr: exit code 2 for a user error (bad arguments, config, data
paths, output folder, unreadable input data), 1 for an internal error (with a pointer to
``--debug``), 130 for Ctrl-C. Everything that can be checked before the work is checked first,
and the output folder is created only once there is a result to write.

Adding a subcommand: write ``cmd_x(args) -> int`` (raise :class:`UsageError` for bad input),
then in :func:`build_parser`::

    p = sub.add_parser("x", parents=[common], help="...")
    p.add_argument(...)
    p.set_defaults(func=cmd_x)
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path


class UsageError(Exception):
    """A user error found by the CLI itself (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``spikesim: error: ...``, exit 2) instead of usage + error."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see {self.prog} --help)\n")


def _one_line(text) -> str:
    return " ".join(str(text).split())


def _parse_sets(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise UsageError(f"--set expects key=value, got {item!r}")
        key, value = item.split("=", 1)
        if not key.strip():
            raise UsageError(f"--set expects key=value, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def _print_table(rows: list[tuple[str, str]], title: str) -> None:
    if not rows:
        return
    width = max(len(k) for k, _ in rows)
    print(f"\n{title}")
    print("-" * (width + 16))
    for k, v in rows:
        print(f"{k:<{width}}  {v}")


def check_out_dir(out: Path, result_name: str = "result.h5") -> None:
    """Refuse an output folder that cannot receive ``result_name``, without creating anything:
    ``out`` must be a folder (or not exist yet, under a writable folder) and ``out/result_name``
    must not be a folder."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a folder")
    if out.is_dir():
        target = out / result_name
        if target.is_dir():
            raise UsageError(f"--out {out}: {target} is a folder; it cannot be replaced by the result file")
        if not os.access(out, os.W_OK | os.X_OK):
            raise UsageError(f"--out {out} is not writable")
        return
    parent = out
    while not parent.exists():
        if parent.parent == parent:
            break
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"--out {out}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out}: {parent} is not writable, so {out} cannot be created")


def cmd_list(args) -> int:
    from spikesim import paradigms

    for name in paradigms.names():
        try:
            p = paradigms.get(name)
        except Exception as exc:  # a paradigm whose optional parts fail to import stays listed
            print(f"{name:<18} (unavailable: {type(exc).__name__}: {_one_line(exc)})")
            continue
        print(f"{name:<18} {p.description}")
        print(f"{'':<18} models: {', '.join(p.models)}   presets: {', '.join(p.presets)}")
    return 0


def cmd_show(args) -> int:
    """Every config field of a paradigm: name, type, default (and the preset values), meaning."""
    from spikesim import paradigms
    from spikesim.paradigms import config_fields

    p = paradigms.get(args.paradigm)
    print(f"{p.name}: {p.description}")
    print(f"models: {', '.join(p.models)}  (default: {', '.join(p.default_models or p.models[:1])})")
    print(f"presets: {', '.join(p.presets)}  (the defaults below are the quick preset)\n")
    rows = config_fields(p.Config)
    w_name = max(len(r[0]) for r in rows)
    w_type = max(len(r[1]) for r in rows)
    w_def = min(max(len(repr(r[2])) for r in rows), 24)
    print(f"{'key':<{w_name}}  {'type':<{w_type}}  {'default':<{w_def}}  meaning")
    for name, type_name, default, meaning in rows:
        presets = [f"{k}: {v[name]!r}" for k, v in p.presets.items() if name in v]
        extra = f" [{'; '.join(presets)}]" if presets else ""
        print(f"{name:<{w_name}}  {type_name:<{w_type}}  {repr(default):<{w_def}}  {meaning or '-'}{extra}")
    print(f"\nset any of them with: spikesim run {p.name} --set KEY=VALUE")
    return 0


def cmd_run(args) -> int:
    from spikesim import paradigms

    paradigm = paradigms.get(args.paradigm)
    cfg = paradigm.make_config(args.preset, _parse_sets(args.set))
    models = paradigm.resolve_models(args.model)
    paradigm.check_paths(cfg)
    out = Path(args.out or f"runs/{args.paradigm}")
    check_out_dir(out)
    t0 = time.perf_counter()
    result = paradigm.run(cfg, models, progress=not args.quiet)
    wall = time.perf_counter() - t0
    result.meta.setdefault("paradigm", args.paradigm)
    result.meta.setdefault("preset", args.preset)
    result.meta["wall_seconds"] = wall
    out.mkdir(parents=True, exist_ok=True)
    path = result.save(out / "result.h5")
    figs = [] if args.no_figures else paradigm.figures(result, out)
    _print_table(paradigm.summary(result), f"{args.paradigm} ({', '.join(models)}, preset {args.preset}) "
                                          f"in {wall:.1f} s")
    print(f"\nresult: {path}")
    for fig in figs:
        print(f"figure: {fig}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback of an error")
    parser = _Parser(prog="spikesim", formatter_class=argparse.RawDescriptionHelpFormatter,
                     description="spikesim: event-driven spiking-network simulator; runs published task paradigms "
                                 "(a spiking model beside its ANN comparator, same data, same metrics).",
                     epilog="examples:\n"
                            "  spikesim list                                  paradigms, models, presets\n"
                            "  spikesim show continual                        every config key of a paradigm\n"
                            "  spikesim run what-when --out runs/ww           quick preset, default models\n"
                            "  spikesim run continual --model all --preset mnist5k --set epochs=3\n"
                            "  spikesim sweep --help                          parameter / seed sweeps on dask\n"
                            "errors: exit 2 for bad input (one line), 1 for an internal error (add --debug)")
    parser.add_argument("--debug", action="store_true", default=False, help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p_list = sub.add_parser("list", parents=[common], help="list paradigms, their models and presets")
    p_list.set_defaults(func=cmd_list)
    p_show = sub.add_parser("show", parents=[common], help="every config key of a paradigm: type, default, meaning")
    p_show.add_argument("paradigm")
    p_show.set_defaults(func=cmd_show)
    p_run = sub.add_parser("run", parents=[common], help="run a paradigm, write result.h5 and figures")
    p_run.add_argument("paradigm")
    p_run.add_argument("--model", default=None, help="model name, comma list, or 'all'")
    p_run.add_argument("--preset", default="quick", help="quick (default, what make demo runs), full, ... "
                       "(spikesim list)")
    p_run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override a config field (repeatable; keys: spikesim show PARADIGM)")
    p_run.add_argument("--out", default=None, help="output folder (default runs/PARADIGM)")
    p_run.add_argument("--no-figures", action="store_true")
    p_run.add_argument("--quiet", action="store_true", help="no progress bars")
    p_run.set_defaults(func=cmd_run)
    from spikesim.sweep.cli import add_parser as add_sweep_parser

    add_sweep_parser(sub)
    return parser


def _user_error_types() -> tuple[type, ...]:
    """Exceptions that mean the user asked for something impossible (exit code 2)."""
    from spikesim import paradigms
    from spikesim.core.result import NotAResultFileError
    from spikesim.core.validate import SizeLimitError

    return (UsageError, paradigms.ConfigError, paradigms.UnknownParadigmError, NotAResultFileError, SizeLimitError,
            FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError, FileExistsError)


def _from_data_reader(exc: BaseException) -> bool:
    """True if ``exc`` was raised while reading the user's input data (``spikesim/io``), e.g. a
    corrupt MNIST or image file: a user error, not a bug."""
    if not isinstance(exc, (ValueError, OSError, EOFError, KeyError)):
        return False
    tb = exc.__traceback__
    marker = f"{os.sep}spikesim{os.sep}io{os.sep}"
    return any(marker in fr.filename for fr in (traceback.extract_tb(tb) if tb is not None else []))


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (never raises, except for Ctrl-C outside a command)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:      # --help, or an argparse error already printed on one line
        return exc.code if isinstance(exc.code, int) else 2
    debug = bool(getattr(args, "debug", False))
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("spikesim: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if debug:
            traceback.print_exc()
        user = isinstance(exc, _user_error_types()) or _from_data_reader(exc)
        if isinstance(exc, MemoryError) and not user:
            print(f"spikesim: error: out of memory ({_one_line(exc) or 'MemoryError'}); reduce the sizes in the "
                  "configuration", file=sys.stderr)
            return 2
        if user:
            print(f"spikesim: error: {_one_line(exc)}", file=sys.stderr)
            return 2
        hint = "" if debug else "; rerun with --debug for the traceback"
        print(f"spikesim: internal error: {type(exc).__name__}: {_one_line(exc)}{hint}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
