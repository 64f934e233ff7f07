"""``spikesim sweep PARADIGM --grid key=v1,v2 [--grid ...] --seeds N [--model M] [--preset P]
[--set key=value ...] --out DIR [--scheduler ADDRESS] [--workers K] [--threads T] [--report]``.

Bad input (unknown paradigm or key, empty grid, a value of the wrong type, bad seeds, an
unreachable scheduler) prints one line on stderr and exits 2 before anything is written. A sweep
whose points all ran exits 0; one with failed points prints them and exits 1 (rerun the same
command to retry them: finished points are not run again).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``sweep`` on the ``spikesim`` sub-command parsers."""
    p = subparsers.add_parser(
        "sweep", help="run a paradigm over a parameter grid and seeds on dask",
        description="Run PARADIGM at every combination of the --grid values, for every seed, on "
                    "dask.distributed (a LocalCluster, or --scheduler); one result.h5 per point under "
                    "DIR/points/, the table in DIR/sweep.h5. Rerunning the same command runs only the "
                    "missing points.")
    p.add_argument("paradigm", help="registered paradigm name, or package.module:ATTRIBUTE")
    p.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2,...",
                   help="a swept config key and its values (repeatable; points = product of all)")
    p.add_argument("--seeds", default="1", help="number of seeds N (config seed, +1, ...) or a list a,b,c")
    p.add_argument("--model", default=None, help="model name, comma list, or 'all'")
    p.add_argument("--preset", default="quick")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a fixed config override for every point (repeatable)")
    p.add_argument("--out", default=None, help="sweep folder (default runs/sweep-PARADIGM)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="dask scheduler address (default: a LocalCluster on this machine)")
    p.add_argument("--workers", type=int, default=None, help="LocalCluster worker processes (default: cores)")
    p.add_argument("--threads", type=int, default=None,
                   help="compute threads per point (default: cores // workers; 1 with --scheduler)")
    p.add_argument("--connect-timeout", type=float, default=5.0, metavar="SECONDS",
                   help="how long to try reaching --scheduler")
    p.add_argument("--report", action="store_true", help="draw metric-vs-parameter PNGs into DIR/report/")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)
    return p


def _parse_sets(items: list[str]) -> dict[str, str]:
    from .grid import SweepError

    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise SweepError(f"--set expects key=value, got {item!r}")
        key, value = item.split("=", 1)
        out[key.strip()] = value.strip()
    return out


def _error(message: str) -> int:
    print(f"spikesim sweep: error: {' '.join(str(message).split())}", file=sys.stderr)
    return 2


def cmd_sweep(args) -> int:
    from .grid import SweepError, parse_grid_args, parse_seeds

    try:
        import distributed  # noqa: F401
    except ImportError:
        return _error("dask.distributed is not installed; pip install 'spikesim[sweep]'")
    from .report import format_table
    from .runner import run

    try:
        table = run(args.paradigm, parse_grid_args(args.grid), parse_seeds(args.seeds), preset=args.preset,
                    overrides=_parse_sets(args.set), models=args.model,
                    out=Path(args.out or f"runs/sweep-{args.paradigm.replace(':', '-')}"),
                    scheduler=args.scheduler, workers=args.workers, threads=args.threads,
                    connect_timeout=args.connect_timeout, progress=not args.quiet, report=args.report)
    except SweepError as exc:
        return _error(str(exc))
    print(format_table(table))
    print(f"\nran {len(table.ran)} point(s), {len(table.skipped)} already done, {len(table.failed)} failed")
    print(f"table: {table.path}")
    for fig in table.figures:
        print(f"figure: {fig}")
    for h, status in table.failed.items():
        print(f"failed: {h} {status.get('params')} seed {status.get('seed')}: {status.get('type')}: "
              f"{str(status.get('message', '')).splitlines()[0] if status.get('message') else ''} "
              f"(traceback in points/{h}/error.json)", file=sys.stderr)
    return 1 if table.failed else 0


def main(argv: list[str] | None = None) -> int:
    """``python -m spikesim.sweep.cli ...`` (the same as ``spikesim sweep ...``)."""
    parser = argparse.ArgumentParser(prog="spikesim")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["sweep", *(argv if argv is not None else sys.argv[1:])])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
