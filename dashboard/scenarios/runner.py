"""The scenario runner: one tick enrols, exits and plans every step that is due, through the send engine.

A tick, for each active scenario:
1. *Triggers* — trigger events since the last scan (follows, tags, survey answers; a saved
   segment's new members) enrol friends not enrolled yet; day 0 is the event's time.
2. *Blocks and re-follows* — a block after the (re-)entry ends the run; a later follow applies the
   scenario's re-follow policy: restart at step 0, continue at the step where it stopped, or nothing.
3. *Due steps*, CHUNK enrolments a round, the last step first (a round takes no step above the
   lowest of the round before, so a friend moved on this tick waits for the next): exits first (not
   following, a purchase or conversion, an exit tag, left the exit segment), then each step's
   condition (send, skip, jump). The friends a round sends one step to are planned as one
   delivery of kind `step` by sending.plan — the ledger with its
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
from zoneinfo import ZoneInfo
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

CHUNK = 20_000                          # due enrolments per round (one delivery per step in it): memory stays flat
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
        self.zone = ZoneInfo(self.tz)
        self.intervals = timing.allowed_intervals(scenario.window, planning.quiet_hours())
        self.steps = scenario.steps
        self._memo: dict = {}

    def due(self, step_no: int, enrolled, reference) -> dt.datetime:
        """`enrolled`: the enrolment's instant, or its local day (all a day-based step depends on).
        A chunk of 20,000 shares the reference (now): this is a handful of computations, memoised."""
        step_timing = self.steps[step_no].timing
        day = None
        if "day" in step_timing:
            day = enrolled.astimezone(self.zone).date() if isinstance(enrolled, dt.datetime) else enrolled
        key = (step_no, day, reference)
        found = self._memo.get(key)
        if found is None:
            anchor = dt.datetime.combine(day, dt.time(12), self.zone) if day is not None else reference
            found = self._memo[key] = timing.due(step_timing, enrolled_at=anchor, reference=reference,
                                                 intervals=self.intervals, tz=self.tz)
        return found

    def after(self, step_no: int, enrolled, now) -> tuple:
        """The move once step `step_no` is done: the next step and its due time, or completed."""
        following = step_no + 1
        if following >= len(self.steps):
            return following - 1, "completed", None
        return following, "active", self.due(following, enrolled, now)


def _rule_members(cur, rule, now) -> None:
    """Materialise a rule's members now into the cursor's temp table segment_members."""
    if running.uses_rollup_only_fields(rule):   # interest and genre exist only as of the last refresh
        compiled = running.compile_now(cur, rule)
    else:   # a hair after now: a friend who followed this very instant is a friend the rule sees
        compiled = rules.compile_rule(rule, now + dt.timedelta(microseconds=1), use_rollup=False)
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

def _when(value, default):
    return _ts(value) or default


def _chunk(con, scenario: model.Scenario, clock: _Clock, top: int, now, report: TickReport) -> tuple[int, int]:
    """Exits, conditions and the planned deliveries of up to CHUNK due enrolments at step `top` or
    before, the last step first; returns how many were due and the lowest step among them (each of
    them leaves its step: exited, skipped, jumped or planned). Column-wise (pandas), not row by
    row: a tick at 100,000 due spends its time in DuckDB."""
    exits = scenario.settings["exit"]
    types = [EXIT_EVENTS[k] for k in ("purchase", "conversion") if exits[k]]
    cur = con.cursor()
    try:
        due = queries.run(cur, "scenarios/due_chunk", sid=scenario.scenario_id, top=top, now=now, chunk=CHUNK,
                          exit_types=types, exit_tags=exits["tags"])
        if due.empty:
            return 0, top
        due["day"] = due["enrolled_at"].dt.tz_convert(clock.tz).dt.date   # all a step's timing needs
        left = pd.Series(False, index=due.index)
        if exits["left_segment"]:
            _rule_members(cur, saved.get(cur, name=exits["left_segment"])["rule"], now)
            left = ~due["user_id"].isin(_members_among(cur, list(due["user_id"])))
        # the first reason that holds, in this order: blocked, converted, exit tag, left the segment
        reasons = [(~due["following"].astype(bool), "blocked", "blocked_at"), (due["converted_at"].notna(), "converted",
                   "converted_at"), (due["tagged_at"].notna(), "tag", "tagged_at"), (left, "left_segment", None)]
        moves, gone = [], pd.Series(False, index=due.index)
        for mask, reason, column in reasons:
            hit = mask & ~gone
            for key, step_no, at in zip(due.loc[hit, "user_key"], due.loc[hit, "step_no"],
                                        due.loc[hit, column] if column else [None] * int(hit.sum())):
                moves.append((int(key), int(step_no), "exited", None, None, _when(at, now), reason))
            gone |= hit
        report.exited += int(gone.sum())
        lowest = int(due["step_no"].min())
        sends = {}
        for step_no, rows in due[~gone].groupby("step_no", sort=True):
            step_no = int(step_no)
            condition = scenario.steps[step_no].condition
            if condition is not None:
                _rule_members(cur, condition["rule"], now)
                met = rows["user_id"].isin(_members_among(cur, list(rows["user_id"])))
                actions = [condition["met"] if m else condition["otherwise"] for m in met]
                keep = [a == "send" for a in actions]
                for key, day, action in zip(rows["user_key"], rows["day"], actions):
                    if action == "send":
                        continue
                    if action == "skip":
                        target, status, due_at = clock.after(step_no, day, now)
                    else:
                        target, status, due_at = action["jump"], "active", clock.due(action["jump"], day, now)
                    moves.append((int(key), target, status, due_at, None, None, None))
                    report.skipped += 1
                rows = rows[keep]
            sends[step_no] = rows
        with storage.transaction(cur):
            store.apply_moves(cur, scenario.scenario_id, moves)
        for step_no, rows in sorted(sends.items(), reverse=True):
            if not rows.empty:
                _plan_step(con, cur, scenario, clock, step_no, rows, now, report)
        return len(due), lowest
    finally:
        cur.close()


def _plan_step(con, cur, scenario: model.Scenario, clock: _Clock, step_no: int, rows: pd.DataFrame, now,
               report: TickReport) -> None:
    capped: set[str] = set()
    cap = config.get_int("DASHBOARD_FREQUENCY_CAP") or 0
    if scenario.settings["frequency_cap"] and cap > 0:   # the same cap as broadcasts: received in 7 days
        cur.register("chunk_users", rows[["user_id"]])
        try:
            capped = set(queries.run(cur, "scenarios/capped", now=now, cap=cap)["user_id"])
        finally:
            cur.unregister("chunk_users")
    by_reply = pd.Series(False, index=rows.index)
    if step_no == 0:   # the welcome answers the follow's reply token while enough of its minute is left
        left_s = (rows["reply_expires_at"] - pd.Timestamp(now)).dt.total_seconds()
        by_reply = rows["reply_token"].notna() & (left_s > sending.REPLY_MARGIN_S) & ~rows["user_id"].isin(capped)
    step = scenario.steps[step_no]
    for group, batch in ((rows[by_reply], 1), (rows[~by_reply], None)):
        if group.empty:
            continue
        delivery_id = "stp_" + uuid.uuid4().hex[:16]
        moves = [(int(key), *clock.after(step_no, day, now), now, None, None)
                 for key, day in zip(group["user_key"], group["day"])]
        in_group = set(group["user_id"]) & capped

        def also(plan_cur, delivery_id=delivery_id, moves=moves, group=group, in_group=in_group, batch=batch):
            queries.run(plan_cur, "scenarios/record_delivery", id=delivery_id, sid=scenario.scenario_id,
                        no=step_no, now=now)
            if in_group:
                plan_cur.register("capped", pd.DataFrame({"user_id": sorted(in_group)}))
                queries.run(plan_cur, "scenarios/ledger_skip", id=delivery_id,
                            reason=f"frequency cap: {cap} messages in 7 days")
                plan_cur.unregister("capped")
            if batch == 1:
                plan_cur.register("tokens", group[["user_id", "reply_token", "reply_expires_at"]])
                queries.run(plan_cur, "scenarios/ledger_reply_tokens", id=delivery_id)
                plan_cur.unregister("tokens")
            store.apply_moves(plan_cur, scenario.scenario_id, moves)

        sending.plan(con, delivery_id=delivery_id, user_ids=list(group["user_id"]),
                     user_keys=[int(k) for k in group["user_key"]], messages=step.messages,
                     kind="step", title=f"{scenario.name} #{step_no}" + (f" {step.name}" if step.name else ""),
                     created_by=f"scenario:{scenario.name}", batch_size=batch, also=also)
        report.deliveries.append(delivery_id)
        key = (scenario.name, step_no)
        report.planned[key] = report.planned.get(key, 0) + len(group)


# ---- the tick ----------------------------------------------------------------------------------------

def _after_downtime(cur, scenario: model.Scenario, info: dict, now, report: TickReport) -> None:
    """A runner that did not run for longer than the grace window (the dashboard stopped, a crash)
    is a pause: the steps that fell due meanwhile get the overdue policy, counted from the last
    tick, instead of all going out at the first tick after the restart."""
    last = info["scanned_until"]
    grace = dt.timedelta(minutes=scenario.settings["overdue"]["grace_minutes"])
    if last is None or now - last <= grace:
        return
    with storage.transaction(cur):
        report.skipped += store.apply_overdue(cur, scenario, last, now)


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
            _after_downtime(cur, scenario, info, now, report)
        finally:
            cur.close()
        _scan(con, scenario, info, now, report)
    cur = con.cursor()
    try:
        due: dict[str, list[int]] = {}   # scenario -> its steps with something due now
        for sid, step_no, _ in queries.run(cur, "scenarios/due_counts", now=now).itertuples(index=False):
            due.setdefault(sid, []).append(int(step_no))
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
        # The last step first, and each round at the lowest step of the round before or earlier: a
        # friend moved on this tick (sent, skipped or jumped ahead) is at a later step, so nobody gets
        # two steps in one tick, and a round's friends are mostly one step's — one delivery of up to
        # CHUNK friends, not one per step in every round.
        top = max(due[scenario.scenario_id])
        for _ in range(MAX_CHUNKS):
            count, top = _chunk(con, scenario, clock, top, now, report)
            if count < CHUNK:
                break
    if send:
        report.sent = send_pending(con, clients)
    return report


SENDERS = 8   # step deliveries sent at once, like the worker's sends duty (one thread each); one pacer


def send_pending(con, clients=None, *, senders: int = SENDERS) -> list:
    """Run every step delivery not finished yet (this process's, or one a crash left planned),
    several at once: a step delivery is small (a round's friends at one step), and the engine sends
    its first batch alone before the rest go on the wire together, so deliveries in parallel keep
    the pacer busy. The process-wide pacer keeps them under LINE's 200 requests/s together."""
    from concurrent.futures import ThreadPoolExecutor

    cur = con.cursor()
    try:
        pending = list(queries.run(cur, "scenarios/pending_deliveries")["delivery_id"])
    finally:
        cur.close()

    def one(delivery_id):
        try:
            return sending.run(con, delivery_id, clients)
        except sending.SendError:
            return None   # another runner in this process has it

    with ThreadPoolExecutor(max_workers=max(1, senders), thread_name_prefix="step-send") as pool:
        return [r for r in pool.map(one, pending) if r is not None]


def due_now(cur, *, now: dt.datetime | None = None) -> pd.DataFrame:
    """A dry run: what is due per scenario and step now (nothing is written)."""
    return queries.run(cur, "scenarios/due_by_step", now=_utc(now))
