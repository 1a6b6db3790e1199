"""A scenario as JSON (README "Scenario files"): its validation, and the pieces the runner reads.

    {"version": 1, "name": "ようこそ",
     "trigger": {"type": "follow", "unblocks": false, "routes": ["store_pop"]},
     "window": "09:00-21:00", "overdue": {"grace_minutes": 60, "policy": "skip"},
     "refollow": "continue", "exit": {"purchase": true, "conversion": true, "tags": [], "left_segment": null},
     "frequency_cap": true,
     "steps": [{"name": "welcome", "timing": {"after": {"minutes": 0}}, "messages": [...]},
               {"timing": {"day": 1, "at": "12:00"}, "messages": [...],
                "condition": {"rule": {...segment rule...}, "met": "send", "otherwise": {"jump": 3}}}]}

An invalid file is refused with the place and the reason ("steps[1].condition: …"), like a rule.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from dashboard.audience import rules
from dashboard.line import message_limits
from dashboard.messaging import planning
from dashboard.scenarios import timing

FORMAT_VERSION = 1
STATUSES = ("draft", "active", "paused", "archived")
TRIGGERS = ("follow", "tag", "survey", "segment", "manual")
REFOLLOW = ("restart", "continue", "nothing")
OVERDUE = ("skip", "shift")
MAX_STEPS = 30
MAX_NAME = 100


class ScenarioError(ValueError):
    """What is wrong and where: `path` (e.g. "steps[1].timing") and a text key with parameters —
    `scn.err.*`, or the key of the check it comes from (a rule's `rule.err.*`, LINE's limits'
    `chk.*`). str() is the English text, for the command line; `text(lang)` for the pages."""

    def __init__(self, path: str, code: str, **params):
        self.path, self.code, self.params = path, code if "." in code else f"scn.err.{code}", params
        self.reason = self._reason("en")
        super().__init__(f"{path}: {self.reason}")

    def _reason(self, lang: str) -> str:
        from dashboard.core.i18n import t

        return t(self.code, lang, **{k: v if isinstance(v, (int, float)) else str(v) for k, v in self.params.items()})

    def text(self, lang: str) -> str:
        if self.code.startswith("chk."):   # LINE's limits name the place themselves
            return self._reason(lang)
        return f"{self.path}: {self._reason(lang)}" if lang == "en" else f"{self._reason(lang)}（場所: {self.path}）"

    @classmethod
    def of(cls, path: str, err: Exception) -> "ScenarioError":
        """A timing's or a rule's error at `path`, keeping its text key (so it stays translatable)."""
        if isinstance(err, rules.RuleError):
            return cls(f"{path}.{err.path}", f"rule.err.{err.code}", **err.params)
        return cls(path, err.code, **err.params)


@dataclass(frozen=True)
class Step:
    step_no: int
    timing: dict                 # timing.parse_timing() form
    messages: list
    name: str | None = None
    condition: dict | None = None   # {"rule": …, "met": action, "otherwise": action}
    raw_timing: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    name: str
    trigger: dict
    settings: dict               # window, overdue, refollow, exit, frequency_cap
    steps: tuple[Step, ...]
    status: str = "draft"
    scenario_id: str | None = None

    @property
    def window(self) -> str | None:
        return self.settings.get("window")

    def as_file(self) -> dict:
        """The scenario as its JSON file (export; import reads it back to the same scenario)."""
        return {"version": FORMAT_VERSION, "name": self.name, "status": self.status, "trigger": self.trigger,
                **self.settings,
                "steps": [{k: v for k, v in (("name", s.name), ("timing", s.raw_timing), ("messages", s.messages),
                                             ("condition", s.condition)) if v is not None} for s in self.steps]}


def _action(value, path: str, steps: int, here: int):
    if value in ("send", "skip"):
        return value
    if isinstance(value, dict) and set(value) == {"jump"}:
        target = value["jump"]
        if isinstance(target, bool) or not isinstance(target, int) or not here < target < steps:
            raise ScenarioError(path, "jump", here=here, steps=steps)
        return {"jump": target}
    raise ScenarioError(path, "action")


def _condition(value, path: str, steps: int, here: int) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict) or "rule" not in value or set(value) - {"rule", "met", "otherwise"}:
        raise ScenarioError(path, "condition")
    try:
        rules.validate(value["rule"])
    except rules.RuleError as err:
        raise ScenarioError.of(path, err) from None
    return {"rule": value["rule"], "met": _action(value.get("met", "send"), f"{path}.met", steps, here),
            "otherwise": _action(value.get("otherwise", "skip"), f"{path}.otherwise", steps, here)}


def _trigger(value) -> dict:
    if not isinstance(value, dict) or value.get("type") not in TRIGGERS:
        raise ScenarioError("trigger", "trigger_type", values=", ".join(TRIGGERS))
    kind = value["type"]
    if kind == "follow":
        routes = value.get("routes") or []
        if not isinstance(routes, list) or not all(isinstance(r, str) for r in routes):
            raise ScenarioError("trigger.routes", "routes")
        return {"type": kind, "unblocks": bool(value.get("unblocks", False)), "routes": routes}
    if kind == "tag":
        if not isinstance(value.get("tag"), str) or not value["tag"]:
            raise ScenarioError("trigger.tag", "trigger_tag")
        return {"type": kind, "tag": value["tag"]}
    if kind == "survey":
        if not isinstance(value.get("question"), str) or not value["question"]:
            raise ScenarioError("trigger.question", "trigger_question")
        answer = value.get("answer")
        if answer is not None and not isinstance(answer, str):
            raise ScenarioError("trigger.answer", "trigger_answer")
        return {"type": kind, "question": value["question"], "answer": answer}
    if kind == "segment":
        if not isinstance(value.get("segment"), str) or not value["segment"]:
            raise ScenarioError("trigger.segment", "trigger_segment")
        return {"type": kind, "segment": value["segment"]}
    return {"type": "manual"}


def _settings(doc: dict, quiet) -> dict:
    window = doc.get("window")
    if window is not None and not isinstance(window, str):
        raise ScenarioError("window", "window_type")
    try:
        timing.allowed_intervals(window, quiet)
    except timing.TimingError as err:
        raise ScenarioError.of("window", err) from None
    overdue = doc.get("overdue") or {}
    grace = overdue.get("grace_minutes", 60)
    if isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= 7 * 24 * 60:
        raise ScenarioError("overdue.grace_minutes", "grace")
    if overdue.get("policy", "skip") not in OVERDUE:
        raise ScenarioError("overdue.policy", "policy")
    refollow = doc.get("refollow", "nothing")
    if refollow not in REFOLLOW:
        raise ScenarioError("refollow", "refollow", values=", ".join(REFOLLOW))
    exits = doc.get("exit") or {}
    if not isinstance(exits, dict) or set(exits) - {"purchase", "conversion", "tags", "left_segment"}:
        raise ScenarioError("exit", "exit")
    tags = exits.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        raise ScenarioError("exit.tags", "exit_tags")
    left = exits.get("left_segment")
    if left is not None and not isinstance(left, str):
        raise ScenarioError("exit.left_segment", "exit_segment")
    return {"window": window, "overdue": {"grace_minutes": grace, "policy": overdue.get("policy", "skip")},
            "refollow": refollow,
            "exit": {"purchase": bool(exits.get("purchase", True)), "conversion": bool(exits.get("conversion", True)),
                     "tags": tags, "left_segment": left},
            "frequency_cap": bool(doc.get("frequency_cap", True))}


def parse(doc, quiet=None) -> Scenario:
    """A scenario file (dict or JSON text) as a Scenario; ScenarioError names what is wrong."""
    if isinstance(doc, (str, bytes)):
        try:
            doc = json.loads(doc)
        except json.JSONDecodeError as exc:
            raise ScenarioError("file", "json", line=exc.lineno, column=exc.colno) from None
    if not isinstance(doc, dict):
        raise ScenarioError("file", "object")
    if doc.get("version") != FORMAT_VERSION:
        raise ScenarioError("version", "version", version=FORMAT_VERSION)
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
        raise ScenarioError("name", "name", high=MAX_NAME)
    status = doc.get("status", "draft")
    if status not in STATUSES:
        raise ScenarioError("status", "status", values=", ".join(STATUSES))
    steps_doc = doc.get("steps")
    if not isinstance(steps_doc, list) or not 1 <= len(steps_doc) <= MAX_STEPS:
        raise ScenarioError("steps", "steps", high=MAX_STEPS)
    steps = []
    for n, step in enumerate(steps_doc):
        path = f"steps[{n}]"
        if not isinstance(step, dict):
            raise ScenarioError(path, "step")
        try:
            parsed = timing.parse_timing(step.get("timing"))
        except timing.TimingError as err:
            raise ScenarioError.of(f"{path}.timing", err) from None
        messages = step.get("messages")
        if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
            raise ScenarioError(f"{path}.messages", "messages")
        problems = message_limits.check_messages(messages)
        if problems:
            place = f"{path}.{problems[0]['property']}"
            check = planning.limit_check(place, problems[0]["message"])
            raise ScenarioError(place, f"chk.{check.code}", **check.params)
        steps.append(Step(n, parsed, messages, step.get("name"),
                          _condition(step.get("condition"), f"{path}.condition", len(steps_doc), n),
                          step["timing"]))
    return Scenario(name.strip(), _trigger(doc.get("trigger")), _settings(doc, quiet), tuple(steps), status)
