"""Scenarios kept in the database: import and export of scenario files, listing, and status
changes (every change in audit_log). Resuming a paused scenario applies its overdue policy in the
same transaction as the status change, so a resume never bursts (resume_preview says beforehand
how many steps would go out at once).
"""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pandas as pd

from dashboard.core import audit, queries, storage
from dashboard.messaging import planning
from dashboard.scenarios import model, timing

queries.require(*(f"scenarios/{n}" for n in ("list", "get", "steps", "insert", "update", "delete_steps",
                                             "insert_step", "set_status", "overdue", "advance")))


class StoreError(model.ScenarioError):
    """A refused change of a stored scenario, with its text key (`scn.err.<code>`), like ScenarioError."""

    def __init__(self, code: str, **params):
        super().__init__("scenario", code, **params)
        self.args = (self.reason,)   # the command line says the reason alone (no place to name)

    def text(self, lang: str) -> str:
        return self._reason(lang)


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.timezone.utc)


def list_scenarios(cur) -> pd.DataFrame:
    return queries.run(cur, "scenarios/list")


def load(cur, name: str) -> model.Scenario:
    """A stored scenario by name (StoreError when there is none)."""
    row = cur.execute(queries.sql("scenarios/get"), {"name": name}).fetchone()
    if row is None:
        raise StoreError("unknown", name=name)
    scenario_id, name, status, trigger, settings = row[:5]
    steps = []
    for step_no, step_name, timing_json, messages, condition in queries.run(cur, "scenarios/steps",
                                                                             sid=scenario_id).itertuples(index=False):
        raw = json.loads(timing_json)
        step_name = step_name if isinstance(step_name, str) else None   # pandas gives NaN for null
        steps.append(model.Step(int(step_no), timing.parse_timing(raw), json.loads(messages), step_name,
                                json.loads(condition) if isinstance(condition, str) else None, raw))
    return model.Scenario(name, json.loads(trigger), json.loads(settings), tuple(steps), status, scenario_id)


def row(cur, name: str) -> dict:
    found = cur.execute(queries.sql("scenarios/get"), {"name": name}).fetchone()
    if found is None:
        raise StoreError("unknown", name=name)
    keys = ("scenario_id", "name", "status", "trigger", "settings", "activated_at", "paused_at", "scanned_until",
            "updated_by", "updated_at")
    return dict(zip(keys, found))


def term_checks(scenario: model.Scenario) -> list[tuple[int, planning.Check]]:
    """(step_no, check) for each forbidden term a step's messages contain (DASHBOARD_FORBIDDEN_TERMS)."""
    return [(step.step_no, check) for step in scenario.steps for check in planning.term_checks(step.messages)]


def _refuse_blocked_terms(scenario: model.Scenario) -> None:
    for step_no, check in term_checks(scenario):
        if check.level == "block":
            raise StoreError("forbidden", step=step_no, term=check.params["term"])


def save(con, doc, actor: str, *, now: dt.datetime | None = None) -> model.Scenario:
    """Import a scenario file: a new name makes a draft (or the file's status, but never active —
    activating is its own audited step); an existing name gets the new definition, unless it is
    active (pause it first: friends mid-way would find their steps renumbered)."""
    scenario = model.parse(doc, planning.quiet_hours())
    _refuse_blocked_terms(scenario)   # the content rules, as for any send: whatever page or command saves
    now = _now(now)
    cur = con.cursor()
    try:
        existing = cur.execute(queries.sql("scenarios/get"), {"name": scenario.name}).fetchone()
        with storage.transaction(cur):
            if existing is None:
                sid = "scn_" + uuid.uuid4().hex[:12]
                status = scenario.status if scenario.status != "active" else "draft"
                queries.run(cur, "scenarios/insert", sid=sid, scenario_name=scenario.name, trigger=json.dumps(scenario.trigger,
                            ensure_ascii=False), status=status, settings=json.dumps(scenario.settings,
                            ensure_ascii=False), by=actor, now=now)
            else:
                sid = existing[0]
                if existing[2] == "active":
                    raise StoreError("active", name=scenario.name)
                queries.run(cur, "scenarios/update", sid=sid, trigger=json.dumps(scenario.trigger, ensure_ascii=False),
                            settings=json.dumps(scenario.settings, ensure_ascii=False), by=actor, now=now)
                queries.run(cur, "scenarios/delete_steps", sid=sid)
            for step in scenario.steps:
                queries.run(cur, "scenarios/insert_step", sid=sid, no=step.step_no, step_name=step.name,
                            timing=json.dumps(step.raw_timing), messages=json.dumps(step.messages, ensure_ascii=False),
                            condition=None if step.condition is None else json.dumps(step.condition, ensure_ascii=False))
            audit.record(cur, actor, "scenario.import" if existing is None else "scenario.update", f"scenario:{sid}",
                         {"name": scenario.name, "steps": len(scenario.steps), "trigger": scenario.trigger})
    finally:
        cur.close()
    return load(con.cursor(), scenario.name)


def export(cur, name: str) -> dict:
    return load(cur, name).as_file()


def _overdue(cur, scenario: model.Scenario, now: dt.datetime) -> pd.DataFrame:
    grace = scenario.settings["overdue"]["grace_minutes"]
    return queries.run(cur, "scenarios/overdue", sid=scenario.scenario_id,
                       before=now - dt.timedelta(minutes=grace), now=now)


def resume_preview(cur, name: str, *, now: dt.datetime | None = None) -> dict:
    """What resuming would do now: steps that go out at once (due within the grace window, or
    landing there after the policy moved them), and how many the policy skips or shifts."""
    now = _now(now)
    scenario, info = load(cur, name), row(cur, name)
    moves, within = _overdue_moves(cur, scenario, info["paused_at"], now)
    at_once = within + sum(1 for m in moves if m[3] is not None and m[3] <= now)
    policy = scenario.settings["overdue"]
    return {"now": at_once, "overdue": len(moves), "policy": policy["policy"], "grace_minutes": policy["grace_minutes"]}


def _overdue_moves(cur, scenario: model.Scenario, paused_at, now: dt.datetime) -> tuple[list, int]:
    """Moves for the steps overdue beyond the grace window, and how many are due within it.

    skip: the overdue step is left out and the next one keeps the friend's own clock — timed from
    when the skipped step was due, skipping again while that is still beyond the grace window — so
    friends who came at different times stay spread out. shift: the step moves by the length of
    the pause. Either way nothing piles up at the moment of the resume."""
    overdue = _overdue(cur, scenario, now)
    if overdue.empty:
        return [], 0
    within = int((~overdue["late"]).sum())
    overdue = overdue[overdue["late"]]
    intervals = timing.allowed_intervals(scenario.window, planning.quiet_hours())
    tz = _tz()
    cutoff = now - dt.timedelta(minutes=scenario.settings["overdue"]["grace_minutes"])
    shift = now - paused_at if paused_at is not None else dt.timedelta(0)
    moves = []
    for user_key, step_no, enrolled_at, due_at, _ in overdue.itertuples(index=False):
        enrolled_at, due_at, step_no = enrolled_at.to_pydatetime(), due_at.to_pydatetime(), int(step_no)
        if scenario.settings["overdue"]["policy"] == "shift":
            moves.append((int(user_key), step_no, "active", timing.next_allowed(max(due_at + shift, cutoff), intervals, tz),
                          None, None, None))
            continue
        while due_at < cutoff and step_no + 1 < len(scenario.steps):
            step_no += 1
            due_at = timing.due(scenario.steps[step_no].timing, enrolled_at=enrolled_at, reference=due_at,
                                intervals=intervals, tz=tz)
        if due_at < cutoff:   # even the last step fell in the pause
            moves.append((int(user_key), step_no, "completed", None, None, None, None))
        else:
            moves.append((int(user_key), step_no, "active", due_at, None, None, None))
    return moves, within


def apply_overdue(cur, scenario: model.Scenario, paused_at, now: dt.datetime) -> int:
    """Apply the overdue policy now to steps that fell due since `paused_at` (a pause, or a runner
    that was not running): returns how many enrolments moved."""
    moves, _ = _overdue_moves(cur, scenario, paused_at, now)
    apply_moves(cur, scenario.scenario_id, moves)
    return len(moves)


def apply_moves(cur, scenario_id: str, moves: list[tuple]) -> None:
    """(user_key, step_no, status, next_due_at, sent_at, exited_at, exit_reason) rows -> enrolments.
    By the integer user_key: matching a million enrolments on 33-character IDs costs 20x more."""
    if not moves:
        return
    frame = pd.DataFrame(moves, columns=["user_key", "step_no", "status", "next_due_at", "sent_at", "exited_at",
                                         "exit_reason"])
    for column in ("next_due_at", "sent_at", "exited_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["step_no"] = frame["step_no"].astype("int32")
    frame["user_key"] = frame["user_key"].astype("int32")
    cur.register("moves", frame)
    try:
        queries.run(cur, "scenarios/advance", sid=scenario_id)
    finally:
        cur.unregister("moves")


def _tz() -> str:
    from dashboard.core import config

    return config.timezone()


MOVES = {"draft": ("active", "archived"), "active": ("paused", "archived"), "paused": ("active", "archived"),
         "archived": ()}


def set_status(con, name: str, status: str, actor: str, *, now: dt.datetime | None = None) -> dict:
    """Draft -> active -> paused -> active … -> archived, audited. Returns what the change did."""
    if status not in model.STATUSES:
        raise StoreError("status", values=", ".join(model.STATUSES))
    now = _now(now)
    cur = con.cursor()
    try:
        scenario, info = load(cur, name), row(cur, name)
        if status not in MOVES[info["status"]]:
            raise StoreError("move_archived" if info["status"] == "archived" else "move", status=info["status"],
                             to=" / ".join(MOVES[info["status"]]))
        if status == "active":   # the terms may have changed since the save
            _refuse_blocked_terms(scenario)
        done = {"from": info["status"], "to": status, "moved": 0}
        with storage.transaction(cur):
            if info["status"] == "paused" and status == "active":
                done["moved"] = apply_overdue(cur, scenario, info["paused_at"], now)
            queries.run(cur, "scenarios/set_status", sid=scenario.scenario_id, status=status, by=actor, now=now)
            audit.record(cur, actor, f"scenario.{status}", f"scenario:{scenario.scenario_id}",
                         {"name": name, **done})
        return done
    finally:
        cur.close()
