"""Command line: ``spikesim list`` and ``spikesim run PARADIGM [--model M] [--preset P]
[--set key=value ...] [--out DIR] [--no-figures] [--quiet]``."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _parse_sets(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise SystemExit(f"spikesim: --set expects key=value, got {item!r}")
        key, value = item.split("=", 1)
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


def cmd_list(args) -> int:
    from spikesim import paradigms

    for name in paradigms.names():
        try:
            p = paradigms.get(name)
        except Exception as exc:  # a paradigm whose optional parts fail to import stays listed
            print(f"{name:<18} (unavailable: {type(exc).__name__}: {exc})")
            continue
        print(f"{name:<18} {p.description}")
        print(f"{'':<18} models: {', '.join(p.models)}   presets: {', '.join(p.presets)}")
    return 0


def cmd_run(args) -> int:
    from spikesim import paradigms

    try:
        paradigm = paradigms.get(args.paradigm)
        cfg = paradigm.make_config(args.preset, _parse_sets(args.set))
        models = paradigm.resolve_models(args.model)
    except (paradigms.UnknownParadigmError, paradigms.ConfigError) as exc:
        print(f"spikesim: error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out or f"runs/{args.paradigm}")
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    result = paradigm.run(cfg, models, progress=not args.quiet)
    wall = time.perf_counter() - t0
    result.meta.setdefault("paradigm", args.paradigm)
    result.meta.setdefault("preset", args.preset)
    result.meta["wall_seconds"] = wall
    path = result.save(out / "result.h5")
    figs = [] if args.no_figures else paradigm.figures(result, out)
    _print_table(paradigm.summary(result), f"{args.paradigm} ({', '.join(models)}, preset {args.preset}) "
                                          f"in {wall:.1f} s")
    print(f"\nresult: {path}")
    for fig in figs:
        print(f"figure: {fig}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spikesim", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="list paradigms, their models and presets")
    p_list.set_defaults(func=cmd_list)
    p_run = sub.add_parser("run", help="run a paradigm, write result.h5 and figures")
    p_run.add_argument("paradigm")
    p_run.add_argument("--model", default=None, help="model name, comma list, or 'all'")
    p_run.add_argument("--preset", default="quick")
    p_run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override a config field (repeatable)")
    p_run.add_argument("--out", default=None, help="output folder (default runs/PARADIGM)")
    p_run.add_argument("--no-figures", action="store_true")
    p_run.add_argument("--quiet", action="store_true", help="no progress bars")
    p_run.set_defaults(func=cmd_run)
    from spikesim.sweep.cli import add_parser as add_sweep_parser

    add_sweep_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
