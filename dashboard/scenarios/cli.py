"""`python -m dashboard scenarios …`: list, show, run, enrol, export, import, status. The command
line speaks English (like `send`); every write is audited with the CLI user as actor.
"""
from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from dashboard.core import config, storage
from dashboard.scenarios import enrol, funnel, runner, store

TICK_S = 1.0


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _when(text: str | None) -> dt.datetime | None:
    """An ISO time, or HH:MM today in the account's time zone (tomorrow when already past)."""
    if not text:
        return None
    zone = ZoneInfo(config.timezone())
    try:
        if len(text) <= 5 and ":" in text:
            hour, minute = (int(x) for x in text.split(":"))
            now = dt.datetime.now(zone)
            at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
            return at if at > now else at + dt.timedelta(days=1)
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a time (ISO or HH:MM): {text!r}") from None
    return at if at.tzinfo else at.replace(tzinfo=zone)


def _local(at) -> str:
    return "-" if at is None else at.astimezone(ZoneInfo(config.timezone())).strftime("%Y-%m-%d %H:%M %Z")


def run(args) -> int:
    command = args.scenarios_command
    con = storage.connect(args.db)
    try:
        cur = con.cursor()
        if command == "list":
            frame = store.list_scenarios(cur)
            if frame.empty:
                print("no scenarios (import one: python -m dashboard scenarios import FILE.json)")
            for r in frame.itertuples(index=False):
                print(f"{r.name}\t{r.status}\t{json.loads(r.trigger_json)['type']}\t{r.steps} steps\t"
                      f"enrolled {r.enrolled:,}, in progress {r.in_progress:,}, completed {r.completed:,}, "
                      f"exited {r.exited:,}")
            return 0
        if command == "show":
            return _show(cur, args.name)
        if command == "export":
            text = json.dumps(store.export(cur, args.name), ensure_ascii=False, indent=2)
            if args.out:
                Path(args.out).write_text(text + "\n", encoding="utf-8")
            else:
                print(text)
            return 0
        if command == "import":
            try:
                doc = Path(args.file).read_text(encoding="utf-8")
            except OSError as exc:
                raise ValueError(f"cannot read {args.file}: {exc}") from None
            scenario = store.save(con, doc, _actor())
            print(f"{scenario.name}: {len(scenario.steps)} steps, status {scenario.status}")
            return 0
        if command == "status":
            if args.status == "active" and store.row(cur, args.name)["status"] == "paused" and not args.yes:
                shown = store.resume_preview(cur, args.name)
                print(f"resuming now sends {shown['now']:,} step(s) at once (due within {shown['grace_minutes']} "
                      f"minutes); {shown['overdue']:,} overdue beyond that are {shown['policy']}ped. "
                      "Add --yes to resume.")
                return 0
            done = store.set_status(con, args.name, args.status, _actor())
            print(f"{args.name}: {done['from']} -> {done['to']}" + (f" ({done['moved']:,} overdue steps moved)"
                                                                     if done["moved"] else ""))
            return 0
        if command == "enrol":
            return _enrol(con, cur, args)
        if command == "run":
            return _run(con, cur, args)
        raise ValueError(f"unknown scenarios command {command}")
    finally:
        con.close()


def _show(cur, name: str) -> int:
    scenario, info = store.load(cur, name), store.row(cur, name)
    print(f"{scenario.name} ({info['status']}), trigger {json.dumps(scenario.trigger, ensure_ascii=False)}; "
          f"window {scenario.window or 'all day'}, re-follow {scenario.settings['refollow']}, "
          f"overdue {scenario.settings['overdue']['policy']} after {scenario.settings['overdue']['grace_minutes']} min; "
          f"changed by {info['updated_by']} at {_local(info['updated_at'])}")
    steps = funnel.per_step(cur, name)
    for s in scenario.steps:
        row = steps.get(s.step_no, {})
        print(f"  #{s.step_no} {s.name or ''} {json.dumps(s.raw_timing)}"
              f"{' [condition]' if s.condition else ''}: sent {row.get('sent', 0):,}, reacted 24 h "
              f"{row.get('reacted', 0):,}, blocked 24 h {row.get('blocked', 0):,}, converted 7 d {row.get('converted', 0):,}")
    via = funnel.reply_savings(cur, name)
    print(f"  welcome by reply {via['reply']:,}, by push {via['push']:,}; saved about ¥{via['yen_saved']:,.0f}")
    return 0


def _enrol(con, cur, args) -> int:
    shown = enrol.preview(cur, args.name, args.segment)
    print(f"{shown['friends']:,} friends of segment {args.segment!r} would be enrolled into {args.name!r}:")
    for s in shown["steps"]:
        print(f"  step #{s['step']} {s['name'] or ''}: up to {s['friends']:,} at {_local(s['at'])}"
              + (" (if its condition sends)" if s["conditional"] else ""))
    print(f"messages: up to {shown['messages']:,}; used this month {shown['used_this_month']:,}"
          f" of {shown['free']:,} free; extra {shown['overage']:,} ≈ ¥{shown['cost_yen']:,.0f} ({shown['plan']} plan)")
    if shown["over_limit"]:
        print("warning: this is more than the month's quota left; steps beyond it stop with LINE's monthly limit")
    if args.dry_run or not args.yes:
        print("dry run: nobody was enrolled" if args.dry_run else "nobody was enrolled: add --yes to enrol them")
        return 0
    done = enrol.enrol(con, args.name, args.segment, _actor())
    print(f"enrolled {done['enrolled']:,}")
    return 0


def _run(con, cur, args) -> int:
    if args.dry_run:
        frame = runner.due_now(cur)
        if frame.empty:
            print("nothing is due")
        for r in frame.itertuples(index=False):
            print(f"{r.name} step #{r.step_no}: {r.due:,} due (oldest {_local(r.oldest)})")
        print("dry run: nothing was planned or sent")
        return 0
    until = _when(args.until)
    failed = False
    while True:
        report = runner.tick(con, send=True)
        for (name, step), n in sorted(report.planned.items()):
            print(f"{name} step #{step}: {n:,} planned")
        for r in report.sent:
            if r.status != "sent":
                failed = True
            print(f"{r.delivery_id}: {r.status} — sent {r.sent:,}, skipped {r.skipped:,}, failed {r.failed:,}, "
                  f"left {r.pending:,}" + (f" ({r.stop_reason})" if r.stop_reason else ""))
        if report.enrolled or report.exited or report.refollowed:
            print(f"enrolled {report.enrolled:,}, exited {report.exited:,}, re-followed {report.refollowed:,}")
        sys.stdout.flush()
        if until is None or dt.datetime.now(dt.timezone.utc) >= until:
            return 1 if failed else 0
        time.sleep(TICK_S)


def add_parser(sub) -> None:
    p = sub.add_parser("scenarios", help="step scenarios: list, show, run, enrol, export, import, status")
    p.add_argument("--db", default=None, help="database file (default: setting DASHBOARD_DB)")
    s = p.add_subparsers(dest="scenarios_command", required=True)
    s.add_parser("list", help="every scenario with its status and enrolment counts")
    q = s.add_parser("show", help="a scenario's settings and its funnel per step")
    q.add_argument("name")
    q = s.add_parser("run", help="enrol, exit and send what is due (once, or every second until --until)")
    q.add_argument("--until", help="keep ticking until this time (ISO, or HH:MM in the account's time zone)")
    q.add_argument("--dry-run", action="store_true", help="print what is due per scenario and step; change nothing")
    q = s.add_parser("enrol", help="enrol a saved segment's friends (preview with the cost first)")
    q.add_argument("name")
    q.add_argument("--segment", required=True, help="name of a saved segment")
    q.add_argument("--dry-run", action="store_true", help="print the preview only")
    q.add_argument("--yes", action="store_true", help="enrol after printing the preview")
    q = s.add_parser("export", help="print a scenario as its JSON file")
    q.add_argument("name")
    q.add_argument("--out", help="write to this file instead")
    q = s.add_parser("import", help="create or replace a scenario from its JSON file (README: scenario files)")
    q.add_argument("file")
    q = s.add_parser("status", help="draft, active, paused or archived (resuming prints what goes out now)")
    q.add_argument("name")
    q.add_argument("status", choices=("draft", "active", "paused", "archived"))
    q.add_argument("--yes", action="store_true", help="resume a paused scenario after its preview")
    for command in s.choices.values():   # `scenarios list --db PATH` as well as `scenarios --db PATH list`
        command.add_argument("--db", default=argparse.SUPPRESS, help="database file (default: setting DASHBOARD_DB)")
    p.set_defaults(func=run)
