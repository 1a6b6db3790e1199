"""Planning a send: the exact audience after exclusions, checks, and cost — before anything leaves.

The compose page and `python -m dashboard send` both call plan_send(), so they show the same plan.
Exclusions are applied in a fixed order, each counted with its reason:
  not following -> frequency cap -> excluded segment -> already reached by e-mail -> quiet hours.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from dashboard.audience import rules, running as audience
from dashboard.core import config, queries
from dashboard.line import api, message_limits
from dashboard.messaging import links
from dashboard.warehouse import engine, send_audience

queries.require("sending/already_sent", "sending/units_this_month", "sending/promotions_last_7_days")

PLANS = ("communication", "light", "standard")
NO_EXTRA_MESSAGES = ("communication", "light")  # these plans cannot buy messages beyond the quota
DEFAULT_FORBIDDEN = ("クレジットカード現金化:block,出会い系:block,ギャンブル:block,カジノ:block,"
                     "医療:warn,治る:warn,必ず痩せる:warn,副作用なし:warn")


@dataclass
class Check:
    level: str      # "block" stops the send, "warn" asks the operator to look
    code: str       # limit, forbidden, promotions, quiet_hours, plan, units, empty … (i18n key chk.<code>)
    params: dict = field(default_factory=dict)

    def text(self, lang: str) -> str:
        """The check in words, in `lang` (the page renders it; this module only says code + params)."""
        from dashboard.core.i18n import t

        params = {k: t(f"code.plan.{v}", lang) if k == "plan" else prop_words(v, lang) if k == "prop" else v
                  for k, v in self.params.items()}
        return t(f"chk.{self.code}", lang, **params)

    @property
    def message(self) -> str:  # the CLI's language
        return self.text(config.get("DASHBOARD_LANGUAGE") or "ja")


def exclusion_text(code: str, params: dict, lang: str) -> str:
    """An exclusion's reason in words (Plan.exclusions holds code, friends removed, params)."""
    from dashboard.core.i18n import t

    return t(f"excl.{code}", lang, **params)


_PROP = re.compile(r"^messages\[(\d+)\](?:\.(.+))?$")
_FIELDS = {"text": "text", "originalContentUrl": "image", "previewImageUrl": "preview", "altText": "alt",
           "template.text": "text", "template.title": "title", "template.actions": "buttons",
           "template.thumbnailImageUrl": "image", "contents": "flex", "contents.contents": "flex",
           "contents.type": "flex", "template.type": "kind", "type": "kind"}


def prop_words(prop: str, lang: str) -> str:
    """LINE's property path (messages[0].template.actions[1].uri) in words: bubble 1, link button 2's URL."""
    from dashboard.core.i18n import t

    found = _PROP.match(prop or "")
    if not found:
        return t("chk.prop.messages", lang) if prop == "messages" else prop
    bubble, path = int(found.group(1)) + 1, found.group(2) or ""
    button = re.match(r"^template\.actions\[(\d+)\]", path)
    if button:
        what = t("chk.prop.button", lang, n=int(button.group(1)) + 1)
    else:
        field_code = _FIELDS.get(re.sub(r"\[\d+\]", "", path))
        what = t(f"chk.prop.{field_code}", lang) if field_code else path
    return t("chk.prop.bubble", lang, n=bubble) + ((("" if lang == "ja" else " ") + what) if what else "")


# line_messages speaks as LINE's API does (English): its fixed sentences, each with a check code
_LINE_WORDS = {"must be specified": "limit_missing", "Must be a valid HTTPS URL": "limit_https",
               "Must be http, https, line or tel": "limit_scheme", "must be an action object": "limit_action",
               "must be one of uri, message, postback": "limit_action", "must be a message object": "limit_message",
               "only buttons templates are supported": "limit_template", "must be bubble or carousel": "limit_flex",
               "must be one of text, image, template, flex": "limit_message"}
_LINE_RANGE = re.compile(r"^(Length|Size) must be between (\d+) and (\d+)$")


def limit_check(prop: str, message: str) -> Check:
    """A LINE-style problem ("messages[0].text: Length must be between 1 and 5000") in words."""
    found = _LINE_RANGE.match(message)
    if found:
        what, low, high = found.groups()
        return Check("block", f"limit_{what.lower()}", {"prop": prop, "low": int(low), "high": int(high)})
    if message in _LINE_WORDS:
        return Check("block", _LINE_WORDS[message], {"prop": prop})
    return Check("block", "limit", {"prop": prop, "detail": message})


@dataclass
class Plan:
    audience: int
    exclusions: list[tuple[str, int, dict]]    # (code, friends removed, params): exclusion_text()
    recipients: int
    rule: dict                                 # the audience rule
    checks: list[Check] = field(default_factory=list)
    quota_limit: int | None = None
    quota_used: int | None = None
    overage: int = 0
    overage_yen: float = 0.0
    plan_name: str = "standard"
    query: rules.Compiled | None = None        # the final recipients: one compiled query (audience.recipients)
    cap_override: str | None = None            # planned without the frequency cap: the sender's reason
    link_tracking: str | None = None           # per_user, per_delivery or None (dashboard/messaging/links.py)
    audience_as_of: dt.datetime | None = None  # read from the warehouse: as of its last load (issue 17)

    @property
    def blocked(self) -> bool:
        return any(c.level == "block" for c in self.checks)

    @property
    def quota_left(self) -> int | None:
        return None if self.quota_limit is None else max(0, self.quota_limit - (self.quota_used or 0))

    def as_dict(self) -> dict:
        return {"audience": self.audience, "exclusions": [list(e) for e in self.exclusions],
                "recipients": self.recipients, "messages_used": self.recipients,
                "quota_limit": self.quota_limit, "quota_used": self.quota_used, "quota_left": self.quota_left,
                "overage": self.overage, "overage_yen": self.overage_yen, "plan": self.plan_name,
                "checks": [c.__dict__ | {"message": c.message} for c in self.checks], "blocked": self.blocked,
                "link_tracking": self.link_tracking}


def email_hash(address: str) -> str:
    """SHA-256 of the trimmed, lower-cased address (how customers.email_hash is stored)."""
    return hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()


def forbidden_terms() -> list[tuple[str, str]]:
    raw = config.get("DASHBOARD_FORBIDDEN_TERMS") or DEFAULT_FORBIDDEN
    out = []
    for item in raw.split(","):
        term, _, level = item.strip().partition(":")
        if term:
            out.append((term, "block" if level.strip() == "block" else "warn"))
    return out


def quiet_hours() -> tuple[int, int] | None:
    raw = (config.get("DASHBOARD_QUIET_HOURS") or "").strip()
    if not raw or raw.lower() in ("off", "none", "0-0"):
        return None
    start, _, end = raw.partition("-")
    return int(start), int(end)


def in_quiet_hours(moment: dt.datetime, tz: str | None = None) -> bool:
    hours = quiet_hours()
    if hours is None:
        return False
    hour = moment.astimezone(ZoneInfo(tz or config.timezone())).hour
    start, end = hours
    return start <= hour < end if start < end else (hour >= start or hour < end)


def _text_of(messages: list[dict]) -> str:
    return json.dumps(messages, ensure_ascii=False)


def term_checks(messages: list[dict]) -> list[Check]:
    """The forbidden terms (DASHBOARD_FORBIDDEN_TERMS) the messages contain, as checks: `block`
    ones refuse a send, `warn` ones are shown. Every message that leaves goes through this: a
    broadcast's plan, a scenario's steps when saved and activated."""
    text = _text_of(messages)
    return [Check(level, "forbidden", {"term": term}) for term, level in forbidden_terms() if term and term in text]


def plan_send(cur, rule: dict, messages: list[dict], *, clients: api.Clients | None = None,
              exclude_rule: dict | None = None, email_hashes: list[str] | None = None,
              send_at: dt.datetime | None = None, frequency_cap: int | None = None,
              cap_override: str | None = None) -> Plan:
    """The exact plan for sending `messages` to the members of `rule` (now, or at `send_at`).

    The audience is the segment as the Segments page shows it (as of the last rollup refresh);
    following and the frequency cap are judged now, from the ledger and events as they are, so a
    send that just went out (or is still going out) counts against the cap. The audience is
    dashboard.audience.running.recipients(): one compiled query, counted here and materialised by
    the send engine. With DASHBOARD_ENGINE=clickhouse that query is read from the warehouse once and
    its rows kept in DuckDB (dashboard/warehouse/send_audience.py): the rule and the excluded segment
    as of the warehouse's last load (a check says when), following, the cap and the e-mail exclusion
    judged in DuckDB now over those rows; the confirmation's recount and the ledger read the same.
    `cap_override` (a sender's reason) plans the send without the frequency cap;
    actions.submit checks the role and the reason on the server."""
    rule = rules.parse(rule)
    now = dt.datetime.now(dt.timezone.utc)
    override = None if cap_override is None else cap_override.strip()   # "" = asked for without a reason
    exclusions = audience.Exclusions.for_send(0 if override is not None else frequency_cap, exclude_rule,
                                              email_hashes)
    found = audience.recipients(rule, exclusions, audience.as_of(cur), now=now)
    # DASHBOARD_ENGINE=clickhouse: the rule's members read from the warehouse once and kept in DuckDB;
    # following, the cap and the e-mail exclusion judged here over them, from DuckDB's own ledger
    snapshot = send_audience.read(cur, found, now=now) if engine.on_warehouse() else None
    final = snapshot.query if snapshot else found.query
    total = _count(cur, snapshot.base if snapshot else found.base)
    excluded, previous = [], total
    for code, reason, query in (snapshot.stages if snapshot else found.stages):
        current = _count(cur, query)
        excluded.append((code, previous - current, reason))
        previous = current
    exclusions = excluded
    when = send_at or now
    checks: list[Check] = []
    if snapshot:
        checks.append(warehouse_check(snapshot.as_of))
    recipients = previous
    if send_at is not None and send_at <= now:
        checks.append(Check("block", "past"))
    if in_quiet_hours(when):
        exclusions.append(("quiet_hours", previous, {"hours": config.get("DASHBOARD_QUIET_HOURS")}))
        checks.append(Check("block", "quiet_hours", {"hours": config.get("DASHBOARD_QUIET_HOURS")}))
        recipients = 0
    problems = message_limits.check_messages(messages)
    for p in problems:
        checks.append(limit_check(p["property"], p["message"]))
    checks.extend(term_checks(messages))
    promotions = _promotions_last_7_days(cur)
    if promotions:
        checks.append(Check("warn", "promotions", {"n": promotions}))
    repeated = _already_sent(cur, messages, final)
    if repeated:
        checks.append(Check("block", "duplicate", {"n": repeated}))
    units = _units_this_month(cur)
    if units >= UNITS_WARN_AT:
        checks.append(Check("warn", "units", {"n": units}))
    if recipients == 0 and not in_quiet_hours(when):
        checks.append(Check("block", "empty"))
    plan = Plan(total, exclusions, recipients, rule, checks, plan_name=config.get("DASHBOARD_PLAN") or "standard",
                query=final, cap_override=override, audience_as_of=snapshot.as_of if snapshot else None)
    plan.link_tracking = links.mode(messages, recipients)
    if links.has_links(messages) and not links.enabled():   # the operator must not believe clicks are measured
        plan.checks.append(Check("warn", "untracked_links"))
    _cost(plan, clients, previous)
    return plan


def warehouse_check(as_of: dt.datetime | None) -> Check:
    """The audience came from the warehouse: as of its last load (friends' states and the ledger as
    they were taken from DuckDB then), said with that time in the account's zone."""
    if as_of is None:
        return Check("warn", "warehouse_unloaded")
    at = as_of.astimezone(ZoneInfo(config.timezone())).strftime("%Y-%m-%d %H:%M:%S")
    return Check("warn", "warehouse_as_of", {"at": at})


def _count(cur, query: rules.Compiled) -> int:
    return cur.execute(*query.counted()).fetchone()[0]


def recount(cur, plan: Plan) -> int:
    return _count(cur, plan.query)


def members(cur, plan: Plan) -> list[str]:
    """The recipients of a plan, from the very query that counted them."""
    return [r[0] for r in cur.execute(*plan.query.user_ids()).fetchall()]


UNITS_WARN_AT = 900


def _already_sent(cur, messages: list[dict], query: rules.Compiled) -> int:
    """Recipients of this plan who got — or are getting — the very same messages in the last 24 h."""
    text = json.dumps(messages, ensure_ascii=False)  # as sending.plan stores it
    cur.execute(*query.into("plan_audience"))
    try:
        return int(queries.scalar(cur, "sending/already_sent", dup_messages=text))
    finally:
        cur.execute(*rules.drop("plan_audience"))


def _units_this_month(cur) -> int:
    """customAggregationUnits names used since the 1st of this month (UTC, as LINE counts them)."""
    return int(queries.scalar(cur, "sending/units_this_month"))


def _promotions_last_7_days(cur) -> int:
    return int(queries.scalar(cur, "sending/promotions_last_7_days"))


from dashboard.analytics.quota import FREE_MESSAGES  # noqa: E402  LINE's plans (LINE_API_NOTES §3), one table


def _cost(plan: Plan, clients: api.Clients | None, messages: int) -> None:
    """Messages beyond the plan's free allowance cost the set price (standard plan only). LINE's
    quota `value` is free messages plus the extra cap the operator set in OA Manager: a send
    larger than what is left would stop half-way with "monthly limit", so it is blocked."""
    price = float(config.get("DASHBOARD_PRICE_PER_EXTRA_MESSAGE") or 0)
    try:
        quota = api.quota(clients) if clients is not None else None
    except api.LineError as err:
        plan.checks.append(Check("warn", "quota_unknown", {"detail": err.message}))
        quota = None
    if quota is None:
        return
    plan.quota_limit, plan.quota_used = quota["limit"], quota["used"]
    free = FREE_MESSAGES.get(plan.plan_name, 0)
    used = plan.quota_used or 0
    plan.overage = max(0, used + messages - free) - max(0, used - free)
    plan.overage_yen = plan.overage * price if plan.plan_name not in NO_EXTRA_MESSAGES else 0.0
    if plan.quota_limit is not None and messages > plan.quota_left:
        if plan.plan_name in NO_EXTRA_MESSAGES:
            plan.checks.append(Check("block", "plan", {"plan": plan.plan_name, "left": plan.quota_left,
                                                                "n": messages}))
        else:
            plan.checks.append(Check("block", "quota", {"left": plan.quota_left, "n": messages}))
