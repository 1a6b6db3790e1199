"""Command line: python -m dashboard <command> (one function per command).

Exit code 0 on success; otherwise non-zero with a one-line reason on stderr.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def cmd_demo(args) -> int:
    from dashboard import demo

    path = Path(args.db)
    if path.exists():
        if not args.replace:
            print(f"{path} exists; pass --replace to rebuild it", file=sys.stderr)
            return 2
        path.unlink()
        Path(str(path) + ".wal").unlink(missing_ok=True)
    print(f"building demo account: {args.friends:,} friends, {args.days} days, seed {args.seed} -> {path}")
    demo.build(path, friends=args.friends, seed=args.seed, days=args.days, end=args.end)
    return 0


def cmd_report(args) -> int:
    from dashboard import metrics, report, storage

    con = storage.connect(args.db, read_only=True)
    try:
        period = metrics.Period.from_dates(args.start, args.end)
        kpis = metrics.overview_kpis(con, period, routes=args.route or [])
    finally:
        con.close()
    print(report.render(kpis, period, args.format, lang=args.lang))
    return 0


def cmd_segment(args) -> int:
    from dashboard import audience, segment_store, segments, storage

    con = storage.connect(args.db, read_only=True)
    try:
        cur = con.cursor()
        if args.rule:
            try:
                text = Path(args.rule).read_text(encoding="utf-8")
            except OSError as exc:
                raise ValueError(f"cannot read rule file {args.rule}: {exc.strerror}") from None
            rule = segments.parse(text)
        else:
            rule = segment_store.get(cur, name=args.name)["rule"]
        if args.count:
            print(audience.count(cur, rule))
            return 0
        frame = audience.members(cur, rule)
        out = Path(args.export)
        frame.to_csv(out, index=False, encoding="utf-8")
        print(f"{len(frame):,} user IDs -> {out}", file=sys.stderr)
        return 0
    finally:
        con.close()


def cmd_bench(args) -> int:
    from dashboard import bench

    return bench.main(friends=args.friends, db=args.db, repeat=args.repeat, pandas=not args.no_pandas)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dashboard",
                                     description="LINE Official Account operator dashboard")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="build a deterministic demo account into a new DuckDB file")
    p.add_argument("--db", default="data/dashboard.duckdb", help="database file to create")
    p.add_argument("--friends", type=_positive, default=50_000, help="number of friends (default 50,000)")
    p.add_argument("--seed", type=int, default=42, help="random seed (same seed, same account)")
    p.add_argument("--days", type=_positive, default=180, help="days of history (default 180)")
    p.add_argument("--end", type=_date, help="first day after the history (default: today in the account's zone)")
    p.add_argument("--replace", action="store_true", help="delete an existing file first")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("report", help="print the Overview KPIs of a period (the page's numbers)")
    p.add_argument("--db", default=None, help="database file (default: setting DASHBOARD_DB)")
    p.add_argument("--start", type=_date, required=True, help="first day, YYYY-MM-DD (account time zone)")
    p.add_argument("--end", type=_date, required=True, help="last day, inclusive")
    p.add_argument("--route", action="append", help="only friends of this inflow route (repeatable)")
    p.add_argument("--format", choices=("json", "markdown"), default="markdown")
    p.add_argument("--lang", choices=("ja", "en"), default="ja", help="language of markdown labels")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("segment", help="count or export the members of a rule or a saved segment")
    p.add_argument("--db", default=None, help="database file (default: setting DASHBOARD_DB)")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--rule", help="JSON rule file (format in the README)")
    which.add_argument("--name", help="name of a saved segment")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--count", action="store_true", help="print the exact number of members")
    what.add_argument("--export", metavar="FILE.csv", help="write the members' LINE user IDs (column user_id)")
    p.set_defaults(func=cmd_segment)

    p = sub.add_parser("bench", help="time every page's queries (and plain pandas) at a size")
    p.add_argument("--friends", type=_positive, default=1_000_000)
    p.add_argument("--db", default=None, help="database to use (default data/bench-<friends>.duckdb, built if missing)")
    p.add_argument("--repeat", type=_positive, default=7, help="timed runs per query after one warm-up")
    p.add_argument("--no-pandas", action="store_true", help="skip the pandas comparison")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "db", "x") is None and args.command != "bench":  # bench picks its own file
        from dashboard import config
        args.db = str(config.db_path())
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one line for the operator; the traceback is not for them
        from dashboard.demo import DemoError
        from dashboard.segment_store import SegmentStoreError
        from dashboard.storage import StorageError
        if isinstance(exc, (StorageError, DemoError, SegmentStoreError, ValueError)):
            print(f"error: {exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
