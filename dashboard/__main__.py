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
    from dashboard.analytics import demo

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
    from dashboard.analytics import metrics, report
    from dashboard.checkup import summary
    from dashboard.core import storage

    con = storage.connect(args.db, read_only=True)
    try:
        period = metrics.Period.from_dates(args.start, args.end)
        kpis = metrics.overview_kpis(con, period, routes=args.route or [])
        health = summary.weekly(con)   # issue 16: goals, warning signs, the three things to do next
        rpd = metrics.reactions_per_delivery(con, period, args.route or []) if args.format == "html" else None
    finally:
        con.close()
    print(report.render(kpis, period, args.format, lang=args.lang, summary=health, rpd=rpd))
    return 0


def cmd_segment(args) -> int:
    from dashboard.audience import rules, running, saved
    from dashboard.core import csv_safe, storage

    con = storage.connect(args.db, read_only=True)
    try:
        cur = con.cursor()
        if args.rule:
            try:
                if Path(args.rule).stat().st_size > rules.MAX_RULE_CHARS:   # before reading it
                    raise ValueError(f"rule file {args.rule} is larger than {rules.MAX_RULE_CHARS // 2**20} MB")
                text = Path(args.rule).read_text(encoding="utf-8")
            except OSError as exc:
                raise ValueError(f"cannot read rule file {args.rule}: {exc.strerror}") from None
            rule = rules.parse(text)
        else:
            rule = saved.get(cur, name=args.name)["rule"]
        if args.count:
            print(running.count(cur, rule))
            return 0
        frame = running.members(cur, rule)
        out = Path(args.export)
        csv_safe.to_csv(frame, out, encoding="utf-8")
        print(f"{len(frame):,} user IDs -> {out}", file=sys.stderr)
        return 0
    finally:
        con.close()


def cmd_friend(args) -> int:
    """One friend's card, tags and timeline (the friend page's own functions)."""
    import pandas as pd

    from dashboard.audience import friend
    from dashboard.core import config, storage

    con = storage.connect(args.db, read_only=True)
    try:
        cur = con.cursor()
        key = friend.key_of(cur, args.user_id)
        if key is None:
            raise ValueError(f"no friend with user ID {args.user_id}")
        found = friend.story(cur, key)
    finally:
        con.close()
    if args.format == "json":
        print(friend.as_json(found))
        return 0
    tz = config.timezone()
    card = found["profile"]
    print(f"{card['display_name'] or '-'}  {card['user_id']}  route={card['route']}  "
          f"following={card['is_following']}  customer={card['customer_id'] or '-'}  "
          f"interest={card['interest_level'] or '-'}  genre={card['genre'] or '-'}")
    print("tags: " + (", ".join(found["tags"]["tag"]) or "-"))
    for row in found["timeline"].itertuples():
        when = pd.Timestamp(row.happened_at).tz_convert(tz).strftime("%Y-%m-%d %H:%M:%S")
        text = " — ".join(dict.fromkeys(x for x in (row.detail, row.content) if isinstance(x, str) and x))
        status = f" [{row.status}]" if isinstance(row.status, str) and row.source in ("sent", "broadcast") else ""
        print(f"{when}  {row.source:<9} {row.kind:<14} {text}{status}")
    return 0


def cmd_crosstab(args) -> int:
    """Two dimensions against one outcome (the cross-tab page's own function), as CSV or JSON; or a
    saved view's choices (--view NAME) with its history (weeks to --end)."""
    from dashboard.analytics import crosstab, crosstab_views, metrics
    from dashboard.core import config, csv_safe, storage

    end = args.end or dt.datetime.now(metrics.ZoneInfo(config.timezone())).date()
    con = storage.connect(args.db, read_only=True)
    try:
        cur = con.cursor()
        if args.view:
            try:
                view = crosstab_views.get(cur, name=args.view)
            except crosstab_views.ViewError:
                raise ValueError(f"no saved cross-tab view named {args.view!r}") from None
            choice = {k: view[k] for k in ("rows", "cols", "outcome", "tag_prefix", "attr_key", "scenario", "days",
                                           "min_count")}
            weeks = int(view["weeks"]) or 4
            start = args.start or end - dt.timedelta(days=7 * weeks - 1)
        else:
            if not (args.rows and args.cols and args.outcome):
                raise ValueError("give --rows, --cols and --outcome, or --view NAME")
            scenario = crosstab.scenario_id(cur, args.scenario) if args.scenario else ""
            choice = dict(rows=args.rows, cols=args.cols, outcome=args.outcome, tag_prefix=args.tag_prefix,
                          attr_key=args.attr_key, scenario=scenario, days=args.days, min_count=args.min_count)
            start = args.start or end - dt.timedelta(days=27)
        frame = crosstab.cells(cur, metrics.Period.from_dates(start, end), args.route or [], **choice)
    finally:
        con.close()
    if args.format == "json":
        print(json.dumps({**{k: choice[k] for k in ("rows", "cols", "outcome")}, "view": args.view,
                          "start": start.isoformat(), "end": end.isoformat(), "cells": frame.to_dict(orient="records")},
                         ensure_ascii=False, indent=1, default=str))
    else:
        sys.stdout.write(csv_safe.to_csv(frame))
    return 0


def cmd_webhook(args) -> int:
    from dashboard.intake import receiver

    print(f"webhook receiver on http://{args.host}:{args.port} (POST /webhook, GET /r/<token>, GET /f/<route>)",
          flush=True)
    receiver.serve(args.host, args.port)
    return 0


def cmd_sandbox(args) -> int:
    from dashboard.line import sandbox

    faults = sandbox.Faults(p429=args.p429, p500=args.p500, p500_after=args.p500_after,
                            latency_ms=args.latency_ms, seed=args.seed)
    print(f"sandbox LINE API on http://127.0.0.1:{args.port} (state {args.state}); nothing leaves this machine",
          flush=True)
    sandbox.serve(args.port, Path(args.state), quota=args.quota, faults=faults)
    return 0


def _print_plan(plan, messages) -> None:
    print(f"audience (rule members):        {plan.audience:>10,}")
    from dashboard.messaging import planning

    for code, removed, params in plan.exclusions:   # the CLI speaks English throughout
        print(f"  - {planning.exclusion_text(code, params, 'en')}: {removed:,}")
    print(f"recipients:                     {plan.recipients:>10,}")
    print(f"messages this send uses:        {plan.recipients:>10,}  (one per recipient, {len(messages)} bubble(s) each)")
    if plan.quota_limit is not None:
        print(f"quota left this month:          {plan.quota_left:>10,}  (LINE quota {plan.quota_limit:,} - used {plan.quota_used:,})")
        print(f"overage:                        {plan.overage:>10,}  (about ¥{plan.overage_yen:,.0f}, plan {plan.plan_name})")
    for check in plan.checks:
        print(f"[{check.level}] {check.text('en')}")


def cmd_send(args) -> int:
    from dashboard.messaging import approvals, planning, sending
    from dashboard.core import audit, storage
    from dashboard.access import passwords, roles
    from dashboard.line import api
    from dashboard.audience import saved

    con = storage.connect(args.db)
    try:
        cur = con.cursor()
        clients = api.clients()
        if args.resume:  # the operator asks: paused and stopped sends too
            reports = sending.resume_all(con, clients, include_paused=True)
            for r in reports:
                print(f"{r.delivery_id}: {r.status} — sent {r.sent:,}, failed {r.failed:,}, left {r.pending:,}"
                      + (f" ({r.stop_reason})" if r.stop_reason else ""))
            if not reports:
                print("nothing to resume")
            return 0 if all(r.status in ("sent",) for r in reports) else 1
        if not args.messages:
            raise ValueError("--messages FILE.json is required (a JSON list of LINE message objects)")
        try:
            messages = json.loads(Path(args.messages).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"cannot read messages from {args.messages}: {exc}") from None
        rule = (saved.get(cur, name=args.segment)["rule"] if args.segment
                else {"version": 1, "rule": {"field": "following", "value": True}})
        plan = planning.plan_send(cur, rule, messages, clients=clients)
        _print_plan(plan, messages)
        if plan.blocked:
            print("error: the send is blocked (see [block] above); nothing was sent", file=sys.stderr)
            return 1
        if args.dry_run or not args.yes:
            print("dry run: nothing was sent" if args.dry_run else "nothing was sent: add --yes to send")
            return 0
        delivery_id = sending.new_delivery_id()
        if sending.approvals_apply() and approvals.needs_approval(plan.recipients, plan.overage_yen):
            # a shared server: a large send waits for a second sender, who approves it on the Compose page
            import getpass

            actor = roles.User(f"cli:{getpass.getuser()}", "sender", "cli")
            sending.plan(con, delivery_id=delivery_id, source=plan.query, messages=messages, title=args.title,
                         segment_id=None, created_by=actor.name, link_tracking=plan.link_tracking,
                         cost_yen=plan.overage_yen, status="awaiting_approval")
            audit.record(cur, actor, "send.request", f"delivery:{delivery_id}",
                         {"recipients": plan.recipients, "cost_yen": plan.overage_yen, "title": args.title})
            approvals.request(cur, delivery_id, actor)
            print(f"{delivery_id}: waiting for approval — {plan.recipients:,} recipients is above the approval "
                  "threshold on this shared server; nothing was sent. A second person with the sender role "
                  "approves it on the Compose page, then it goes out.")
            return 0
        sending.plan(con, delivery_id=delivery_id, source=plan.query, messages=messages,
                     title=args.title, segment_id=None, created_by="cli", link_tracking=plan.link_tracking)
        report = sending.run(con, delivery_id, clients)
        print(f"{delivery_id}: {report.status} — sent {report.sent:,}, failed {report.failed:,}, "
              f"not sent {report.pending:,}" + (f" ({report.stop_reason})" if report.stop_reason else ""))
        for reason, n in report.reasons.items():
            print(f"  failed {n:,}: {reason}")
        return 0 if report.status == "sent" else 1
    finally:
        con.close()


def cmd_ingest(args) -> int:
    import time

    from dashboard.intake import loader
    from dashboard.analytics import rollups
    from dashboard.core import storage
    from dashboard.warehouse import parquet

    directory = Path(args.spool) if args.spool else loader.spool_dir()
    con = storage.connect(args.db)
    try:
        rollups.ensure(con)
        while True:
            try:
                total = loader.load_all(con, directory)
            except loader.LoaderStopped as exc:
                print(f"error: {exc}", file=sys.stderr, flush=True)
                return 1
            if total.lines or not args.follow:
                print(f"{total.lines:,} lines: {total.loaded:,} events loaded, {total.duplicates:,} duplicates, "
                      f"{total.quarantined:,} quarantined, {total.route_hits:,} route hits ({total.seconds:.1f} s)",
                      flush=True)
            if total.loaded and parquet.parquet_dir() is not None:   # issue 17: the interchange, exactly once
                exported = parquet.bring_up_to_date(con.cursor(), parquet.parquet_dir())
                print(f"{exported.events:,} events written to {exported.directory}", flush=True)
            if total.refused:  # the rest loaded; say so in one line (the Data page lists them)
                print(f"error: the database refused {total.refused:,} line(s) or event(s), quarantined with its "
                      f"reason: {total.refusal[len(loader.REFUSED):][:300]}", file=sys.stderr, flush=True)
            if not args.follow:
                return 1 if total.refused else 0
            time.sleep(args.interval)
    finally:
        con.close()


def cmd_user(args) -> int:
    from dashboard.access import passwords, roles

    try:
        print(passwords.cli_user_add(args.name, args.role, email=args.email))
    except roles.AuthConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_staff(args) -> int:
    """The staff list (test-send recipients). Whoever can write the database file at this machine
    acts as admin; each change is audited as cli:<login name>."""
    import getpass

    from dashboard.access import roles
    from dashboard.messaging import staff
    from dashboard.core import storage
    from dashboard.core.i18n import t

    con = storage.connect(args.db)
    try:
        cur = con.cursor()
        actor = roles.User(f"cli:{getpass.getuser()}", "admin", "cli")
        try:
            if args.staff_command == "add":
                staff.add(cur, actor, args.user_id, args.label or "")
                print(f"added {args.user_id}")
            elif args.staff_command == "remove":
                if not staff.remove(cur, actor, args.user_id):
                    print(f"error: {args.user_id} is not on the staff list", file=sys.stderr)
                    return 1
                print(f"removed {args.user_id}")
            for row in staff.members(cur).itertuples():
                print(f"{row.user_id}\t{row.label or ''}\t{row.added_by}\t{row.added_at:%Y-%m-%d %H:%M}")
        except staff.StaffError as err:
            print(f"error: {t(f'staff.err.{err.code}', 'en', **err.params)}", file=sys.stderr)
            return 1
        return 0
    finally:
        con.close()


def cmd_backup(args) -> int:
    from dashboard.core import backup, storage

    directory = Path(args.dir) if args.dir else backup.backup_dir()
    if directory is None:
        raise ValueError("give --dir or set DASHBOARD_BACKUP_DIR")
    con = storage.connect(args.db)
    try:
        print(backup.make(con, directory))
    finally:
        con.close()
    return 0


def cmd_restore(args) -> int:
    from dashboard.core import backup

    done = backup.restore(Path(args.backup), Path(args.db))
    for aside in done.set_aside:
        print(f"set aside: {aside}")
    upgraded = f" (upgraded from {done.backup_version})" if done.version != done.backup_version else ""
    print(f"restored {args.backup} -> {done.database}, schema version {done.version}{upgraded}; "
          "start the dashboard now")
    return 0


def cmd_sync(args) -> int:
    from dashboard.intake import sync

    return sync.cli(args)


def cmd_import(args) -> int:
    from dashboard.intake import imports

    return imports.cli(args)


def cmd_bench(args) -> int:
    from bench import measure

    if args.send:
        from bench import sends

        print(sends.send_bench(args.send))
        return 0
    if args.webhook:
        from bench import webhook

        print(webhook.webhook_bench(seconds=args.webhook))
        return 0
    if args.sessions:
        from bench import sessions

        print(sessions.sessions_bench(args.sessions, db=args.db, friends=args.friends, rounds=args.rounds or 5,
                                      static_cached=args.static_cached, against=args.against))
        return 0
    if args.live:
        from bench import live

        print(live.live_bench(db=args.db, friends=args.friends, posts=args.posts))
        return 0
    if args.friend_pages:
        from bench import friend_pages

        print(friend_pages.bench_friend_pages(args.db or f"data/bench-{args.friends}.duckdb", repeat=args.repeat))
        return 0
    if args.warehouse:
        from bench import warehouse

        print(warehouse.warehouse_bench(args.friends, db=args.db, repeat=args.repeat))
        return 0
    if args.ingest:
        from bench import ingest

        print(ingest.ingest_bench(args.ingest, db=args.db, runs=args.rounds or 2))
        return 0
    return measure.main(friends=args.friends, db=args.db, repeat=args.repeat, pandas=not args.no_pandas)


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
    p.add_argument("--format", choices=("json", "markdown", "html"), default="markdown",
                   help="markdown, json, or html: one self-contained page with inline SVG charts (e-mail, chat)")
    p.add_argument("--lang", choices=("ja", "en"), default="ja", help="language of markdown and html labels")
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

    p = sub.add_parser("friend", help="one friend's card, tags and whole timeline (the friend page)")
    shows = p.add_subparsers(dest="friend_command", required=True)
    q = shows.add_parser("show", help="print one friend's story, oldest first (times in the account's zone)")
    q.add_argument("user_id", help="LINE user ID (U + 32 hex digits)")
    q.add_argument("--db", default=None, help="database file (default: setting DASHBOARD_DB)")
    q.add_argument("--format", choices=("text", "json"), default="text")
    q.set_defaults(func=cmd_friend)

    p = sub.add_parser("crosstab", help="friends added in a period: two dimensions against an outcome (the page)")
    p.add_argument("--db", default=None, help="database file (default: setting DASHBOARD_DB)")
    dims = ("route", "tag", "attribute", "add_month", "interest", "genre", "crm", "scenario")  # crosstab.DIMENSIONS
    p.add_argument("--rows", choices=dims, help="the rows' dimension (or --view)")
    p.add_argument("--cols", choices=dims, help="the columns' dimension (or --view)")
    p.add_argument("--outcome", choices=("blocked_30d", "reacted", "purchased", "following"), help="(or --view)")
    p.add_argument("--view", help="a saved cross-tab view's name: its choices and history instead of the options")
    p.add_argument("--scenario", default="", help="for --rows/--cols scenario: the step scenario (name or ID)")
    p.add_argument("--start", type=_date, help="first day of adds (default: 27 days before --end)")
    p.add_argument("--end", type=_date, help="last day of adds, inclusive (default: today, account time zone)")
    p.add_argument("--route", action="append", help="only friends of this inflow route (repeatable)")
    p.add_argument("--tag-prefix", default="", help="for --rows/--cols tag: tags starting with this (e.g. interest:)")
    p.add_argument("--attr-key", default="", help="for --rows/--cols attribute: the attribute key (e.g. crm_rank)")
    p.add_argument("--days", type=_positive, default=30, help="N of the outcome purchased (within N days of the add)")
    p.add_argument("--min-count", type=_positive, default=30, help="cells with fewer friends are marked enough=false")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.set_defaults(func=cmd_crosstab)

    p = sub.add_parser("webhook", help="run the webhook receiver (spools events; never opens the database)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.set_defaults(func=cmd_webhook)

    p = sub.add_parser("ingest", help="load the webhook spool into the database (exactly once)")
    p.add_argument("--db", default=None, help="database file (default: setting DASHBOARD_DB)")
    p.add_argument("--spool", default=None, help="spool folder (default: setting DASHBOARD_SPOOL)")
    p.add_argument("--follow", action="store_true", help="keep loading what arrives (Ctrl-C to stop)")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between rounds with --follow")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("user", help="make a local account: prints the lines to paste into .streamlit/secrets.toml")
    users = p.add_subparsers(dest="user_command", required=True)
    q = users.add_parser("add", help="hash a password (asked twice, or read from stdin) for a new account")
    q.add_argument("name", help="log-in name (letters, digits, . _ @ -)")
    q.add_argument("--role", required=True, choices=("viewer", "operator", "sender", "admin"))
    q.add_argument("--email", default=None, help="the person's company e-mail: ties the account to their OIDC log-in "
                                                 "(one approver, not two)")
    q.set_defaults(func=cmd_user)

    p = sub.add_parser("staff", help="the staff list: the only LINE users test sends can reach (audited)")
    crew = p.add_subparsers(dest="staff_command", required=True)
    q = crew.add_parser("add", help="put a LINE user ID on the staff list")
    q.add_argument("user_id", help="LINE user ID (U + 32 hex digits)")
    q.add_argument("--label", default="", help="who this is, e.g. 'Sato (marketing)'")
    q.add_argument("--db", default=None, help="database file (default: setting DASHBOARD_DB)")
    q.set_defaults(func=cmd_staff)
    q = crew.add_parser("remove", help="take a LINE user ID off the staff list")
    q.add_argument("user_id")
    q.add_argument("--db", default=None, help="database file (default: setting DASHBOARD_DB)")
    q.set_defaults(func=cmd_staff)
    q = crew.add_parser("list", help="print the staff list")
    q.add_argument("--db", default=None, help="database file (default: setting DASHBOARD_DB)")
    q.set_defaults(func=cmd_staff)

    p = sub.add_parser("backup", help="copy the database to a dated file (the running dashboard does this daily)")
    p.add_argument("--db", default=None, help="database file (default: setting DASHBOARD_DB)")
    p.add_argument("--dir", default=None, help="folder (default: setting DASHBOARD_BACKUP_DIR)")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="put a backup back in place of the database (the dashboard must be stopped)")
    p.add_argument("backup", help="a backup file (dashboard-YYYYMMDD-HHMM.duckdb)")
    p.add_argument("--db", default=None, help="database file to replace (default: setting DASHBOARD_DB)")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("sync", help="fetch followers, profiles, insight and quota from LINE (paced: 60 insight calls/h)")
    p.add_argument("--db", default=None, help="database file (default: setting DASHBOARD_DB)")
    p.add_argument("--part", action="append", metavar="PART",
                   help="only this part (repeatable): followers, profiles, insight_followers, delivery_counts, "
                        "unit_stats, request_stats, quota")
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("import", help="import a CSV export: customers, purchases, visits or tags")
    p.add_argument("kind", choices=("customers", "purchases", "visits", "tags"))
    p.add_argument("file", help="CSV file (UTF-8 with or without BOM, or Shift_JIS/CP932)")
    p.add_argument("--db", default=None, help="database file (default: setting DASHBOARD_DB)")
    p.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    p.add_argument("--strict", action="store_true", help="reject the whole file if any row is bad")
    p.add_argument("--map", action="append", metavar="CSV=FIELD", help="map a column to a field (repeatable)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("sandbox", help="run the local LINE API stand-in on loopback")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--state", default="data/sandbox", help="folder of the sandbox's inbox and state")
    p.add_argument("--quota", type=int, default=None, help="monthly message quota (default: practically unlimited)")
    p.add_argument("--p429", type=float, default=0.0, help="share of send requests answered 429 (rate limit)")
    p.add_argument("--p500", type=float, default=0.0, help="share answered 500 before accepting")
    p.add_argument("--p500-after", type=float, default=0.0, help="share answered 500 after accepting")
    p.add_argument("--latency-ms", type=float, default=0.0, help="added latency per send request")
    p.add_argument("--seed", type=int, default=0, help="seed of the fault injection")
    p.set_defaults(func=cmd_sandbox)

    p = sub.add_parser("send", help="plan and send a message to a saved segment or all friends")
    p.add_argument("--db", default=None, help="database file (default: setting DASHBOARD_DB)")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--segment", help="name of a saved segment")
    who.add_argument("--all", action="store_true", help="every friend following")
    p.add_argument("--messages", help="JSON file: a list of 1-5 LINE message objects")
    p.add_argument("--title", default=None, help="a name for the delivery")
    p.add_argument("--dry-run", action="store_true", help="print the plan only")
    p.add_argument("--yes", action="store_true", help="send after printing the plan")
    p.add_argument("--resume", action="store_true", help="finish sends a crash or restart interrupted")
    p.set_defaults(func=cmd_send)

    from dashboard.scenarios import cli as scenarios_cli   # step scenarios: their own wing's commands

    scenarios_cli.add_parser(sub)
    from dashboard.warehouse import cli as warehouse_cli   # issue 17: Parquet and ClickHouse

    warehouse_cli.add_parser(sub)

    p = sub.add_parser("bench", help="time every page's queries (and plain pandas) at a size")
    p.add_argument("--friends", type=_positive, default=1_000_000)
    p.add_argument("--db", default=None, help="database to use (default data/bench-<friends>.duckdb, built if missing)")
    p.add_argument("--repeat", type=_positive, default=7, help="timed runs per query after one warm-up")
    p.add_argument("--no-pandas", action="store_true", help="skip the pandas comparison")
    p.add_argument("--send", type=_positive, nargs="+", metavar="N",
                   help="instead: plan and send N recipients through the sandbox (e.g. --send 100000 1000000)")
    p.add_argument("--webhook", type=float, metavar="SECONDS",
                   help="instead: load the webhook receiver for SECONDS and print requests/s and latency")
    p.add_argument("--friend-pages", action="store_true",
                   help="instead: time the friend page, a cross-tab and the send-time grid (issue 15) on --db")
    p.add_argument("--ingest", type=_positive, metavar="EVENTS",
                   help="instead: spool EVENTS webhook events and time the loader into the 1M-friend database")
    p.add_argument("--sessions", type=_positive, metavar="N",
                   help="instead: drive the running app in headless Chromium — every page loaded and clicked, "
                        "then N sessions at once — and print time to drawn and server CPU per view")
    p.add_argument("--rounds", type=_positive, default=None,
                   help="with --sessions: views per page and mode (default 5); with --ingest: loader runs (default 2)")
    p.add_argument("--live", action="store_true",
                   help="instead: post follow events to the webhook receiver and time each until the Overview "
                        "served by the running app shows it (loader running)")
    p.add_argument("--posts", type=_positive, default=20, help="with --live: how many events")
    p.add_argument("--static-cached", action="store_true",
                   help="with --sessions: full loads again with /static/ files answered from a copy, as nginx "
                        "caches them (docs/deployment.md): what a full load costs the app itself")
    p.add_argument("--against", metavar="GIT_REF",
                   help="with --sessions: serve the code at GIT_REF beside this tree and take every view on "
                        "both in turn (before / after ratios in one run)")
    p.add_argument("--warehouse", action="store_true",
                   help="instead: every page and the segment counts on DuckDB and on embedded ClickHouse (chdb), "
                        "after exporting --db (or data/bench-<friends>.duckdb) to Parquet and loading it")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from dashboard.core import storage
    storage.private_umask()   # the database, backups and spool this command creates: 0600/0700
    if getattr(args, "db", "x") is None and args.command != "bench":  # bench picks its own file
        from dashboard.core import config
        args.db = str(config.db_path())
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one line for the operator; the traceback is not for them
        from dashboard.analytics.demo import DemoError
        from dashboard.line.api import LineError
        from dashboard.audience.saved import SegmentStoreError
        from dashboard.messaging.sending import SendError
        from dashboard.analytics.crosstab import CrosstabError
        from dashboard.core.storage import StorageError
        from dashboard.scenarios.store import StoreError  # a ValueError, like ScenarioError
        if isinstance(exc, (StorageError, DemoError, SegmentStoreError, ValueError, LineError, SendError, StoreError)):
            print(f"error: {exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
