"""The scenario runner: one tick enrols, exits and plans every step that is due, through the send engine.

A tick, for each active scenario:
1. *Triggers* — trigger events since the last scan (follows, tags, survey answers; a saved
   segment's new members) enrol friends not enrolled yet; day 0 is the event's time.
2. *Blocks and re-follows* — a block after the (re-)entry ends the run; a later follow applies the
   scenario's re-follow policy: restart at step 0, continue at the step where it stopped, or nothing.
3. *Due steps*, CHUNK enrolments at a time: exits first (not following, a purchase or conversion,
   an exit tag, left the exit segment), then each step's condition (send, skip, jump). The friends a
   step goes to are planned as one delivery of kind `step` by sending.plan — the ledger with its
   retry keys — and moved to their next step *in the same transaction*: a crash (even SIGKILL)
   either planned the step and moved them on, or did neither, so the step is sent exactly once when
   the engine resumes the delivery. Friends at the frequency cap stay in the ledger as `skipped`.
   Step 0 of a follow answers by the follow's reply token while it is valid (a delivery of batches
   of one: free), by push otherwise.
Sending itself is the send engine's: in the dashboard the worker's sends duty runs planned
deliveries (quiet hours, pacer, monthly limit, approvals, lost answers as for broadcasts);
`tick(send=True)` runs them here (the command line).
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

import pandas as pd

from dashboard.audience import rules, running, saved
from dashboard.core import config, queries, storage
from dashboard.messaging import planning, sending
from dashboard.scenarios import model, store, timing

queries.require(*(f"scenarios/{n}" for n in (
    "active", "due_counts", "set_scanned", "scan_events", "follows", "tagged", "insert_enrolments", "block_exits", "refollows",
    "refollow_apply", "due_chunk", "record_delivery", "ledger_skip", "ledger_reply_tokens", "members_of",
    "pending_deliveries", "capped", "segment_new", "segment_forget", "segment_remember", "due_by_step")))

CHUNK = 20_000                          # due enrolments per round (one delivery per step): memory stays flat
MAX_CHUNKS = 400                        # per scenario and tick (2,000,000 steps); the next tick goes on
SCAN_LOOKBACK = dt.timedelta(hours=24)  # trigger events loaded late (spool lag) are still seen
REPLY_VALID = dt.timedelta(seconds=60)  # LINE: a reply token answers within one minute of the event
EXIT_EVENTS = {"purchase": "purchase", "conversion": "conversion"}


@dataclass
class TickReport:
    enrolled: int = 0
    exited: int = 0
    refollowed: int = 0
    skipped: int = 0                      # condition skips, jumps and overdue moves
    planned: dict = field(default_factory=dict)        # (scenario, step) -> recipients planned
    deliveries: list = field(default_factory=list)     # delivery ids planned this tick
    sent: list = field(default_factory=list)           # sending.Report of deliveries run here


def _utc(now):
    return now or dt.datetime.now(dt.timezone.utc)


def _ts(value):
    """A pandas timestamp (or NaT) from a query as an aware datetime (or None)."""
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).tz_convert("UTC").to_pydatetime()


class _Clock:
    """The scenario's allowed minutes and the account's time zone, read once per tick."""

    def __init__(self, scenario: model.Scenario):
        self.tz = config.timezone()
        self.intervals = timing.allowed_intervals(scenario.window, planning.quiet_hours())
        self.steps = scenario.steps

    def due(self, step_no: int, enrolled_at, reference) -> dt.datetime:
        return timing.due(self.steps[step_no].timing, enrolled_at=enrolled_at, reference=reference,
                          intervals=self.intervals, tz=self.tz)

    def after(self, step_no: int, enrolled_at, now) -> tuple:
        """The move once step `step_no` is done: the next step and its due time, or completed."""
        following = step_no + 1
        if following >= len(self.steps):
            return following - 1, "completed", None
        return following, "active", self.due(following, enrolled_at, now)


def _rule_members(cur, rule, now) -> None:
    """Materialise a rule's members now into the cursor's temp table segment_members."""
    if running.uses_rollup_only_fields(rule):   # interest and genre exist only as of the last refresh
        compiled = running.compile_now(cur, rule)
    else:
        compiled = rules.compile_rule(rule, now, use_rollup=False)
    cur.execute(*compiled.into("segment_members"))


def _members_among(cur, users: list[str]) -> set[str]:
    cur.register("chunk_users", pd.DataFrame({"user_id": users}))
    try:
        return set(queries.run(cur, "scenarios/members_of")["user_id"])
    finally:
        cur.unregister("chunk_users")


# ---- 1 and 2: triggers, blocks, re-follows -----------------------------------------------------------

def _enrol(cur, scenario, clock: _Clock, frame: pd.DataFrame, by: str) -> int:
    if frame.empty:
        return 0
    rows = []
    for user_id, user_key, occurred_at, token in frame[["user_id", "user_key", "occurred_at", "reply_token"]] \
            .itertuples(index=False):
        at = _ts(occurred_at)
        rows.append((user_id, None if pd.isna(user_key) else int(user_key), clock.due(0, at, at), at, by,
                     token if isinstance(token, str) and token else None,
                     at + REPLY_VALID if isinstance(token, str) and token else None))
    new = pd.DataFrame(rows, columns=["user_id", "user_key", "next_due_at", "enrolled_at", "enrolled_by",
                                      "reply_token", "reply_expires_at"])
    for column in ("next_due_at", "enrolled_at", "reply_expires_at"):
        new[column] = pd.to_datetime(new[column], utc=True)
    new["user_key"] = new["user_key"].astype("Int32")
    cur.register("new_enrolments", new)
    try:
        return int(queries.run(cur, "scenarios/insert_enrolments", sid=scenario.scenario_id).iat[0, 0])
    finally:
        cur.unregister("new_enrolments")


def _trigger_candidates(cur, scenario: model.Scenario, since, now) -> pd.DataFrame:
    trig, sid = scenario.trigger, scenario.scenario_id
    if trig["type"] == "follow":
        return queries.run(cur, "scenarios/follows", sid=sid, unblocks=trig["unblocks"], routes=trig["routes"])
    if trig["type"] == "tag":
        return queries.run(cur, "scenarios/tagged", sid=sid, since=since, until=now, tag=trig["tag"], prefix=None)
    if trig["type"] == "survey":   # the loader tags a survey answer <question>:<answer> (README: postbacks)
        question = trig["question"]
        if trig["answer"] is not None:
            return queries.run(cur, "scenarios/tagged", sid=sid, since=since, until=now,
                               tag=f"{question}:{trig['answer']}", prefix=None)
        return queries.run(cur, "scenarios/tagged", sid=sid, since=since, until=now, tag=None, prefix=f"{question}:")
    return pd.DataFrame()


def _segment_trigger(cur, scenario: model.Scenario, info: dict, now) -> int:
    """Friends who newly match the segment enrol; the first evaluation after activation only
    remembers the members (turning a scenario on never enrols existing members by surprise)."""
    rule = saved.get(cur, name=scenario.trigger["segment"])["rule"]
    _rule_members(cur, rule, now)
    first = info["scanned_until"] is not None and info["scanned_until"] == info["activated_at"]
    new = queries.run(cur, "scenarios/segment_new", sid=scenario.scenario_id)
    enrolled = 0
    if not first and not new.empty:
        new["occurred_at"] = now
        enrolled = _enrol(cur, scenario, _Clock(scenario), new, "trigger")
    queries.run(cur, "scenarios/segment_forget", sid=scenario.scenario_id)
    queries.run(cur, "scenarios/segment_remember", sid=scenario.scenario_id)
    return enrolled


def _refollows(cur, scenario: model.Scenario, clock: _Clock) -> int:
    policy = scenario.settings["refollow"]
    if policy == "nothing":
        return 0
    found = queries.run(cur, "scenarios/refollows", sid=scenario.scenario_id)
    rows = []
    for user_id, step_no, enrolled_at, occurred_at, token in found.itertuples(index=False):
        at, enrolled_at = _ts(occurred_at), _ts(enrolled_at)
        token = token if isinstance(token, str) and token else None
        if policy == "restart":   # a new run: step 0, day 0 = the re-follow
            rows.append((user_id, 0, at, at, clock.due(0, at, at), token, at + REPLY_VALID if token else None))
        else:                     # continue: the step that was next, timed from the re-follow
            step_no = int(step_no)
            rows.append((user_id, step_no, enrolled_at, at, clock.due(step_no, enrolled_at, at), None, None))
    if not rows:
        return 0
    frame = pd.DataFrame(rows, columns=["user_id", "step_no", "enrolled_at", "entered_at", "next_due_at",
                                        "reply_token", "reply_expires_at"])
    for column in ("enrolled_at", "entered_at", "next_due_at", "reply_expires_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["step_no"] = frame["step_no"].astype("int32")
    cur.register("refollow_rows", frame)
    try:
        queries.run(cur, "scenarios/refollow_apply", sid=scenario.scenario_id)
    finally:
        cur.unregister("refollow_rows")
    return len(rows)


def _scan(con, scenario: model.Scenario, info: dict, now, report: TickReport) -> None:
    """Triggers, blocks and re-follows since the last scan, in one transaction with the new mark."""
    activated = info["activated_at"] or now
    since = max(activated, (info["scanned_until"] or activated) - SCAN_LOOKBACK)
    clock = _Clock(scenario)
    cur = con.cursor()
    try:
        with storage.transaction(cur):
            queries.run(cur, "scenarios/scan_events", since=since, until=now)
            report.exited += int(queries.run(cur, "scenarios/block_exits", sid=scenario.scenario_id).iat[0, 0])
            report.refollowed += _refollows(cur, scenario, clock)
            if scenario.trigger["type"] == "segment":
                report.enrolled += _segment_trigger(cur, scenario, info, now)
            else:
                report.enrolled += _enrol(cur, scenario, clock, _trigger_candidates(cur, scenario, since, now),
                                          "trigger")
            queries.run(cur, "scenarios/set_scanned", sid=scenario.scenario_id, now=now)
    finally:
        cur.close()


# ---- 3: due steps ------------------------------------------------------------------------------------

def _exit_reason(row, left: set[str]) -> tuple[str, dt.datetime | None] | None:
    if not row.following:
        return "blocked", _ts(row.blocked_at)
    if _ts(row.converted_at) is not None:
        return "converted", _ts(row.converted_at)
    if _ts(row.tagged_at) is not None:
        return "tag", _ts(row.tagged_at)
    if row.user_id in left:
        return "left_segment", None
    return None


def _chunk(con, scenario: model.Scenario, clock: _Clock, now, report: TickReport) -> int:
    """Exits, conditions and the planned deliveries of up to CHUNK due enrolments; returns how many."""
    exits = scenario.settings["exit"]
    types = [EXIT_EVENTS[k] for k in ("purchase", "conversion") if exits[k]]
    cur = con.cursor()
    try:
        due = queries.run(cur, "scenarios/due_chunk", sid=scenario.scenario_id, now=now, chunk=CHUNK,
                          exit_types=types, exit_tags=exits["tags"])
        if due.empty:
            return 0
        left: set[str] = set()
        if exits["left_segment"]:
            _rule_members(cur, saved.get(cur, name=exits["left_segment"])["rule"], now)
            left = set(due["user_id"]) - _members_among(cur, list(due["user_id"]))
        moves, sends = [], {}
        for row in due.itertuples(index=False):
            reason = _exit_reason(row, left)
            if reason is not None:
                moves.append((int(row.user_key), int(row.step_no), "exited", None, None, reason[1] or now, reason[0]))
                report.exited += 1
            else:
                sends.setdefault(int(row.step_no), []).append(row)
        for step_no, rows in list(sends.items()):
            condition = scenario.steps[step_no].condition
            if condition is None:
                continue
            _rule_members(cur, condition["rule"], now)
            met = _members_among(cur, [r.user_id for r in rows])
            keep = []
            for r in rows:
                action = condition["met"] if r.user_id in met else condition["otherwise"]
                if action == "send":
                    keep.append(r)
                    continue
                enrolled_at = _ts(r.enrolled_at)
                if action == "skip":
                    target, status, due_at = clock.after(step_no, enrolled_at, now)
                else:
                    target, status, due_at = action["jump"], "active", clock.due(action["jump"], enrolled_at, now)
                moves.append((int(r.user_key), target, status, due_at, None, None, None))
                report.skipped += 1
            sends[step_no] = keep
        with storage.transaction(cur):
            store.apply_moves(cur, scenario.scenario_id, moves)
        for step_no, rows in sends.items():
            if rows:
                _plan_step(con, cur, scenario, clock, step_no, rows, now, report)
        return len(due)
    finally:
        cur.close()


def _plan_step(con, cur, scenario: model.Scenario, clock: _Clock, step_no: int, rows: list, now,
               report: TickReport) -> None:
    capped: set[str] = set()
    cap = config.get_int("DASHBOARD_FREQUENCY_CAP") or 0
    if scenario.settings["frequency_cap"] and cap > 0:   # the same cap as broadcasts: received in 7 days
        cur.register("chunk_users", pd.DataFrame({"user_id": [r.user_id for r in rows]}))
        try:
            capped = set(queries.run(cur, "scenarios/capped", now=now, cap=cap)["user_id"])
        finally:
            cur.unregister("chunk_users")
    replies, others = [], []
    for r in rows:
        expires = _ts(r.reply_expires_at)
        if step_no == 0 and isinstance(r.reply_token, str) and expires is not None and r.user_id not in capped \
                and expires - now > dt.timedelta(seconds=sending.REPLY_MARGIN_S):
            replies.append(r)
        else:
            others.append(r)
    step = scenario.steps[step_no]
    for group, batch in ((replies, 1), (others, None)):
        if not group:
            continue
        delivery_id = "stp_" + uuid.uuid4().hex[:16]
        moves = []
        for r in group:
            target, status, due_at = clock.after(step_no, _ts(r.enrolled_at), now)
            moves.append((int(r.user_key), target, status, due_at, now, None, None))
        in_group = {r.user_id for r in group} & capped

        def also(plan_cur, delivery_id=delivery_id, moves=moves, group=group, in_group=in_group, batch=batch):
            queries.run(plan_cur, "scenarios/record_delivery", id=delivery_id, sid=scenario.scenario_id,
                        no=step_no, now=now)
            if in_group:
                plan_cur.register("capped", pd.DataFrame({"user_id": sorted(in_group)}))
                queries.run(plan_cur, "scenarios/ledger_skip", id=delivery_id,
                            reason=f"frequency cap: {cap} messages in 7 days")
                plan_cur.unregister("capped")
            if batch == 1:
                tokens = pd.DataFrame({"user_id": [r.user_id for r in group],
                                       "reply_token": [r.reply_token for r in group],
                                       "reply_expires_at": pd.to_datetime([_ts(r.reply_expires_at) for r in group],
                                                                          utc=True)})
                plan_cur.register("tokens", tokens)
                queries.run(plan_cur, "scenarios/ledger_reply_tokens", id=delivery_id)
                plan_cur.unregister("tokens")
            store.apply_moves(plan_cur, scenario.scenario_id, moves)

        sending.plan(con, delivery_id=delivery_id, user_ids=[r.user_id for r in group],
                     user_keys=[None if pd.isna(r.user_key) else int(r.user_key) for r in group], messages=step.messages,
                     kind="step", title=f"{scenario.name} #{step_no}" + (f" {step.name}" if step.name else ""),
                     created_by=f"scenario:{scenario.name}", batch_size=batch, also=also)
        report.deliveries.append(delivery_id)
        key = (scenario.name, step_no)
        report.planned[key] = report.planned.get(key, 0) + len(group)


# ---- the tick ----------------------------------------------------------------------------------------

def tick(con, *, now: dt.datetime | None = None, send: bool = False, clients=None) -> TickReport:
    """One round for every active scenario (see the module docstring). `send` runs the step
    deliveries left planned (this tick's and any a crash left) through the send engine here."""
    now = _utc(now)
    report = TickReport()
    cur = con.cursor()
    try:
        active = [name for _, name in cur.execute(queries.sql("scenarios/active")).fetchall()]
    finally:
        cur.close()
    for name in active:
        cur = con.cursor()
        try:
            scenario, info = store.load(cur, name), store.row(cur, name)
        finally:
            cur.close()
        _scan(con, scenario, info, now, report)
    cur = con.cursor()
    try:
        due = dict(queries.run(cur, "scenarios/due_counts", now=now).itertuples(index=False))
    finally:
        cur.close()
    for name in active:
        cur = con.cursor()
        try:
            scenario = store.load(cur, name)
        finally:
            cur.close()
        if not due.get(scenario.scenario_id):
            continue
        clock = _Clock(scenario)
        for _ in range(MAX_CHUNKS):
            if _chunk(con, scenario, clock, now, report) < CHUNK:
                break
    if send:
        report.sent = send_pending(con, clients)
    return report


def send_pending(con, clients=None) -> list:
    """Run every step delivery not finished yet (this process's, or one a crash left planned)."""
    cur = con.cursor()
    try:
        pending = list(queries.run(cur, "scenarios/pending_deliveries")["delivery_id"])
    finally:
        cur.close()
    reports = []
    for delivery_id in pending:
        try:
            reports.append(sending.run(con, delivery_id, clients))
        except sending.SendError:
            continue   # another runner in this process has it
    return reports


def due_now(cur, *, now: dt.datetime | None = None) -> pd.DataFrame:
    """A dry run: what is due per scenario and step now (nothing is written)."""
    return queries.run(cur, "scenarios/due_by_step", now=_utc(now))
