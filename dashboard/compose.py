"""Planning a send: the exact audience after exclusions, checks, and cost — before anything leaves.

The compose page and `python -m dashboard send` both call plan_send(), so they show the same plan.
Exclusions are applied in a fixed order, each counted with its reason:
  not following -> frequency cap -> excluded segment -> already reached by e-mail -> quiet hours.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from dashboard import audience, config, line_api, line_messages, links, segments

PLANS = ("communication", "light", "standard")
NO_EXTRA_MESSAGES = ("communication", "light")  # these plans cannot buy messages beyond the quota
DEFAULT_FORBIDDEN = ("クレジットカード現金化:block,出会い系:block,ギャンブル:block,カジノ:block,"
                     "医療:warn,治る:warn,必ず痩せる:warn,副作用なし:warn")


@dataclass
class Check:
    level: str      # "block" stops the send, "warn" asks the operator to look
    code: str       # limit, forbidden, promotions, quiet_hours, plan, units, empty
    message: str


@dataclass
class Plan:
    audience: int
    exclusions: list[tuple[str, int, str]]     # (code, friends removed, reason in words)
    recipients: int
    rule: dict                                 # the audience rule
    checks: list[Check] = field(default_factory=list)
    quota_limit: int | None = None
    quota_used: int | None = None
    overage: int = 0
    overage_yen: float = 0.0
    plan_name: str = "standard"
    query: tuple[str, dict] = ("", {})         # the final recipients, as SQL and bound values
    link_tracking: str | None = None           # per_user, per_delivery or None (dashboard/links.py)

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
                "checks": [c.__dict__ for c in self.checks], "blocked": self.blocked,
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


def _rule(node: dict) -> dict:
    return {"version": segments.RULE_VERSION, "rule": node}


def plan_send(cur, rule: dict, messages: list[dict], *, clients: line_api.Clients | None = None,
              exclude_rule: dict | None = None, email_hashes: list[str] | None = None,
              send_at: dt.datetime | None = None, frequency_cap: int | None = None) -> Plan:
    """The exact plan for sending `messages` to the members of `rule` (now, or at `send_at`).

    The audience is the segment as the Segments page shows it (as of the last rollup refresh);
    following and the frequency cap are judged now, from the ledger and events as they are, so a
    send that just went out (or is still going out) counts against the cap."""
    rule = segments.parse(rule)
    cap = frequency_cap if frequency_cap is not None else config.get_int("DASHBOARD_FREQUENCY_CAP")
    now = dt.datetime.now(dt.timezone.utc)
    rollup_as_of = audience.as_of(cur)
    tz = config.timezone()
    base = segments.compile_rule(rule, rollup_as_of, tz=tz, prefix="a")
    steps = [
        ("not_following", "in", segments.compile_rule(_rule({"field": "following", "value": True}), now,
                                                       use_rollup=False, tz=tz, prefix="f"),
         "ブロック中・友だちでない / not following"),
    ]
    if cap > 0:
        steps.append(("frequency_cap", "not in",
                      segments.compile_rule(_rule({"field": "received", "min": cap, "within_days": 7}), now,
                                            use_rollup=False, tz=tz, prefix="c"),
                      f"直近7日に{cap}通以上受信 / received {cap}+ messages in 7 days (frequency cap)"))
    if exclude_rule:
        steps.append(("excluded_segment", "not in", segments.compile_rule(exclude_rule, rollup_as_of, tz=tz, prefix="e"),
                      "除外セグメント / excluded segment"))
    if email_hashes:
        steps.append(("email_reached", "not in",
                      segments.compile_rule(_rule({"field": "email_reached", "in": list(email_hashes)}), now,
                                            use_rollup=False, tz=tz, prefix="m"),
                      "メールで接触済み / already reached by e-mail"))
    sql, params = f"select m.user_key, m.user_id from ({base.sql}) m where true", dict(base.params)
    total = _count(cur, sql, params)
    exclusions, previous = [], total
    for code, how, compiled, reason in steps:
        sql += f" and m.user_key {how} (select user_key from ({compiled.sql}))"
        params.update(compiled.params)
        current = _count(cur, sql, params)
        exclusions.append((code, previous - current, reason))
        previous = current
    when = send_at or now
    checks: list[Check] = []
    recipients = previous
    if send_at is not None and send_at <= now:
        checks.append(Check("block", "past", "予約時刻が過去です / the scheduled time is in the past"))
    if in_quiet_hours(when):
        exclusions.append(("quiet_hours", previous, f"配信停止時間帯 {config.get('DASHBOARD_QUIET_HOURS')} 時: "
                                                    "予約してください / quiet hours: schedule instead"))
        checks.append(Check("block", "quiet_hours", "送信時刻が配信停止時間帯です。予約送信にしてください。 / "
                                                    "The send time is in quiet hours: schedule it instead."))
        recipients = 0
    problems = line_messages.check_messages(messages)
    for p in problems:
        checks.append(Check("block", "limit", f"{p['property']}: {p['message']}"))
    text = _text_of(messages)
    for term, level in forbidden_terms():
        if term and term in text:
            checks.append(Check(level, "forbidden", f"禁止・注意ワード「{term}」 / restricted term {term!r}"))
    promotions = _promotions_last_7_days(cur)
    if promotions:
        checks.append(Check("warn", "promotions", f"この7日間に販促配信が{promotions}回あります / "
                                                  f"{promotions} promotions were sent in the last 7 days"))
    repeated = _already_sent(cur, messages, sql, params)
    if repeated:
        checks.append(Check("block", "duplicate", f"同じメッセージを24時間以内に{repeated:,}人へ送信済み・送信中です "
                                                  f"（別のタブや二重送信？） / the same messages already went (or are going) "
                                                  f"to {repeated:,} of these recipients in the last 24 h"))
    units = _units_this_month(cur)
    if units >= UNITS_WARN_AT:
        checks.append(Check("warn", "units", f"今月の集計単位名は{units}個です（LINEは月1,000個まで。超えると統計が取れません） / "
                                             f"{units} aggregation unit names used this month: LINE keeps statistics "
                                             f"for 1,000 a month, beyond that the name is not attached"))
    if recipients == 0 and not in_quiet_hours(when):
        checks.append(Check("block", "empty", "送信対象が0人です / nobody to send to"))
    plan = Plan(total, exclusions, recipients, rule, checks, plan_name=config.get("DASHBOARD_PLAN") or "standard",
                query=(sql, params))
    plan.link_tracking = links.mode(messages, recipients)
    _cost(plan, clients, previous)
    return plan


def _count(cur, sql: str, params: dict) -> int:
    return cur.execute(f"select count(*) from ({sql})", params).fetchone()[0]


def recount(cur, plan: Plan) -> int:
    return _count(cur, *plan.query)


def members(cur, plan: Plan) -> list[str]:
    """The recipients of a plan, from the very query that counted them."""
    sql, params = plan.query
    return [r[0] for r in cur.execute(f"select user_id from ({sql}) order by user_id", params).fetchall()]


UNITS_WARN_AT = 900


def _already_sent(cur, messages: list[dict], sql: str, params: dict) -> int:
    """Recipients of this plan who got — or are getting — the very same messages in the last 24 h:
    a second tab, a second click on a new draft, a send repeated by mistake."""
    text = json.dumps(messages, ensure_ascii=False)  # as sending.plan stores it
    row = cur.execute(
        f"select count(distinct r.user_id) from delivery_recipients r "
        f"join deliveries d on d.delivery_id = r.delivery_id "
        f"where d.kind <> 'test' and d.messages::varchar = $dup_messages "
        f"and d.created_at >= current_timestamp - interval 24 hour "
        f"and d.status not in ('failed', 'cancelled') and r.status in ('sent', 'planned') "
        f"and r.user_id in (select user_id from ({sql}))", {**params, "dup_messages": text}).fetchone()
    return int(row[0])


def _units_this_month(cur) -> int:
    """customAggregationUnits names used since the 1st of this month (UTC, as LINE counts them)."""
    row = cur.execute("select count(distinct aggregation_unit) from deliveries where kind <> 'test' "
                      "and aggregation_unit is not null "
                      "and created_at >= date_trunc('month', current_timestamp at time zone 'UTC') "
                      "at time zone 'UTC'").fetchone()
    return int(row[0])


def _promotions_last_7_days(cur) -> int:
    row = cur.execute("select count(*) from deliveries where is_promotion and status in ('sent', 'sending', "
                      "'partially_failed') and sent_at >= current_timestamp - interval 7 day").fetchone()
    return int(row[0])


FREE_MESSAGES = {"communication": 200, "light": 5_000, "standard": 30_000}  # LINE's plans (LINE_API_NOTES §3)


def _cost(plan: Plan, clients: line_api.Clients | None, messages: int) -> None:
    """Messages beyond the plan's free allowance cost the set price (standard plan only). LINE's
    quota `value` is free messages plus the extra cap the operator set in OA Manager: a send
    larger than what is left would stop half-way with "monthly limit", so it is blocked."""
    price = float(config.get("DASHBOARD_PRICE_PER_EXTRA_MESSAGE") or 0)
    try:
        quota = line_api.quota(clients) if clients is not None else None
    except line_api.LineError as err:
        plan.checks.append(Check("warn", "quota", f"LINEの配信数上限を取得できません / could not read the quota: {err.message}"))
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
            plan.checks.append(Check("block", "plan", f"{plan.plan_name}プランは追加メッセージを購入できません。"
                                                      f"残り{plan.quota_left:,}通に対し{messages:,}通 / the {plan.plan_name} "
                                                      f"plan cannot buy extra messages: {plan.quota_left:,} left, {messages:,} needed"))
        else:
            plan.checks.append(Check("block", "quota", f"今月の上限の残り{plan.quota_left:,}通を超えます（{messages:,}通）。"
                                                       "LINE公式アカウントマネージャーで上限を上げるか、対象を絞ってください / "
                                                       f"{messages:,} messages exceed the {plan.quota_left:,} left under this "
                                                       "month's limit: LINE would stop half-way"))
