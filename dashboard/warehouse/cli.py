"""`python -m dashboard export --parquet DIR` and `python -m dashboard warehouse load|sql` (issue 17)."""
from __future__ import annotations

from pathlib import Path

from dashboard.core import config, storage
from dashboard.warehouse import clickhouse, dialect, parquet


def cmd_export(args) -> int:
    con = storage.connect(args.db or config.db_path(), read_only=True)
    try:
        result = parquet.export(con.cursor(), Path(args.parquet), full=args.full)
    finally:
        con.close()
    kind = "full" if result.full else "incremental"
    print(f"{kind} export to {result.directory}: {result.events:,} new events in {result.files} file(s) "
          f"over {len(result.days)} day(s); snapshots: "
          + ", ".join(f"{t} {n:,}" for t, n in result.snapshots.items()))
    return 0


def cmd_warehouse(args) -> int:
    if args.warehouse_command == "sql":   # what the warehouse runs for a query (overrides included)
        marked = dialect.clickhouse_sql(args.name)
        print(dialect._MARKED.sub(lambda m: "{" + m.group(1) + ":…}", marked))
        return 0
    warehouse = clickhouse.Warehouse()
    result = warehouse.load(Path(args.parquet))
    print(f"loaded into ClickHouse ({'server' if config.get('DASHBOARD_CLICKHOUSE_URL') else 'chdb'}) for account "
          f"{warehouse.account_id}: {result.events:,} events from {result.runs} export run(s)"
          f"{' (reloaded: a new full export)' if result.reloaded else ''}, {len(result.snapshots)} snapshots, "
          f"{result.seconds:.1f} s")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("export", help="write the Parquet interchange: events by UTC day (exactly once), tables as snapshots")
    p.add_argument("--parquet", required=True, metavar="DIR", help="folder to write (incremental when it holds an export)")
    p.add_argument("--db", default=None, help="database file (default: setting DASHBOARD_DB)")
    p.add_argument("--full", action="store_true", help="write every event again (compacts the small files)")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("warehouse", help="ClickHouse: load the Parquet interchange, or print a query's ClickHouse SQL")
    s = p.add_subparsers(dest="warehouse_command", required=True)
    q = s.add_parser("load", help="bring ClickHouse (DASHBOARD_CLICKHOUSE_URL, or chdb in DASHBOARD_CHDB_PATH) up to date")
    q.add_argument("--parquet", required=True, metavar="DIR")
    q = s.add_parser("sql", help="print the ClickHouse text of one query (transpiled or its override)")
    q.add_argument("name", help="query name, e.g. overview/friend_counts")
    p.set_defaults(func=cmd_warehouse)
