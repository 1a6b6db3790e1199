"""The scenario editor's plain-data side (the widgets are dashboard/web/scenario_editor.py): a new
scenario to start from, a step's timing and condition as form fields and back, and when an example
friend would get each step — so the editor shows "a follow at 02:00 gets step 0 at 09:00" before
anything is saved. Saving goes through store.save() and so through model.parse(), the same check
as a scenario file: the editor cannot save what the file format refuses.
"""
from __future__ import annotations

import datetime as dt

from dashboard.scenarios import model, timing

UNITS = ("minutes", "hours", "days")


def blank(name: str = "") -> dict:
    """A new follow-triggered scenario: a welcome at once, then a day-1 message at noon."""
    return {"version": model.FORMAT_VERSION, "name": name, "status": "draft",
            "trigger": {"type": "follow", "unblocks": False, "routes": []},
            "window": "09:00-21:00", "overdue": {"grace_minutes": 60, "policy": "skip"}, "refollow": "nothing",
            "exit": {"purchase": True, "conversion": True, "tags": [], "left_segment": None}, "frequency_cap": True,
            "steps": [{"name": "welcome", "timing": {"after": {"minutes": 0}},
                       "messages": [{"type": "text", "text": ""}]},
                      {"name": "day 1", "timing": {"day": 1, "at": "12:00"},
                       "messages": [{"type": "text", "text": ""}]}]}


def timing_fields(raw: dict) -> dict:
    """A step's timing as the form shows it: mode "after" (n, unit) or "day" (day, at)."""
    if "after" in raw:
        unit, n = next(iter(raw["after"].items()))
        return {"mode": "after", "n": int(n), "unit": unit, "day": 1, "at": "12:00"}
    return {"mode": "day", "n": 1, "unit": "days", "day": int(raw["day"]), "at": str(raw["at"])}


def timing_of(fields: dict) -> dict:
    if fields["mode"] == "after":
        return {"after": {fields["unit"]: int(fields["n"])}}
    return {"day": int(fields["day"]), "at": fields["at"]}


def action_fields(action) -> tuple[str, int | None]:
    """A condition's action ("send", "skip", {"jump": n}) as (kind, jump target)."""
    if isinstance(action, dict):
        return "jump", int(action["jump"])
    return action, None


def action_of(kind: str, target: int | None):
    return {"jump": int(target)} if kind == "jump" else kind


def example_schedule(doc: dict, enrolled_at: dt.datetime, *, tz: str, quiet) -> list[tuple[int, dt.datetime]]:
    """When a friend enrolled at `enrolled_at` (UTC) gets each step if every condition says send:
    [(step_no, due at in UTC)]. Raises model.ScenarioError like a save would."""
    scenario = model.parse(doc, quiet)
    intervals = timing.allowed_intervals(scenario.window, quiet)
    out, reference = [], enrolled_at
    for step in scenario.steps:
        reference = timing.due(step.timing, enrolled_at=enrolled_at, reference=reference, intervals=intervals, tz=tz)
        out.append((step.step_no, reference))
    return out


def example_moment(now: dt.datetime, tz: str, hour: int = 2) -> dt.datetime:
    """Today at `hour` o'clock in the account's time zone (UTC): the editor's example follow,
    at an hour that shows the window and the quiet hours at work."""
    from zoneinfo import ZoneInfo

    local = now.astimezone(ZoneInfo(tz)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return local.astimezone(dt.timezone.utc)


def move(order: list, index: int, by: int) -> list:
    """The step order with the step at `index` moved by -1 (up) or +1 (down); unchanged at an end."""
    target = index + by
    if not 0 <= index < len(order) or not 0 <= target < len(order):
        return list(order)
    out = list(order)
    out[index], out[target] = out[target], out[index]
    return out
