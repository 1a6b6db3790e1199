"""A finding or an alert in the operator's words: its title, the evidence as a sentence with the
numbers formatted for people, the suggested action and the rule with its thresholds — for the Health
page, the alerts on the pages they concern, and the weekly report (the same words everywhere)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from dashboard.checkup import goals, rules
from dashboard.core import config
from dashboard.core.i18n import route_label, t


def pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def count(value) -> str:
    return "—" if value is None else f"{int(round(value)):,}"


def yen(value) -> str:
    return "—" if value is None else f"¥{value:,.0f}"


def when(value, tz: str | None = None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        return moment.strftime(fmt)
    return moment.astimezone(ZoneInfo(tz or config.timezone())).strftime(fmt)


def size(n: int) -> str:
    for unit, step in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= step:
            return f"{n / step:.1f} {unit}"
    return f"{n:,} B"


def _key(rule: str, subject: str) -> str:
    """Rules whose subjects read differently have texts per subject (quota: limit / free; loader)."""
    return f"hl.rule.{rule}.{subject}" if rule in ("quota_runout", "loader") else f"hl.rule.{rule}"


def _params(rule: str, subject: str, e: dict, names: dict, lang: str) -> tuple[dict, dict]:
    """(parameters of the title/why texts, parameters of the rule text)."""
    th = rules.thresholds()
    if rule == "promotion_share":
        return ({"days": e["days"], "sends": count(e["sends"]), "promotions": count(e["promotions"]),
                 "share": pct(e["share"])}, {"days": e["days"], "threshold": pct(e["threshold"])})
    if rule == "reactions_falling":
        return ({"count": len(e["deliveries"]), "first": pct(e["first_rate"]), "last": pct(e["last_rate"])},
                {"n": e["n"]})
    if rule == "block_spike":
        usual = e["usual_rate"]
        times = "—" if not usual else f"{e['block_rate'] / usual:.1f}"
        return ({"title": e["title"], "sent_at": when(e["sent_at"]), "blocks": count(e["blocks_24h"]),
                 "rate": pct(e["block_rate"]), "usual": pct(usual), "times": times},
                {"baseline_days": e["baseline_days"], "factor": f"{e['factor']:g}", "min": th["spike_min_blocks"],
                 "days": rules.SPIKE_RECENT_DAYS})
    if rule == "route_blocks":
        return ({"route": route_label(subject, names, lang), "adds": count(e["adds"]), "blocked": count(e["blocked"]),
                 "rate": pct(e["block_rate_7d"]), "account": pct(e["account_rate_7d"])},
                {"factor": f"{e['factor']:g}", "min": th["route_min_adds"], "days": e["days"]})
    if rule == "silent_friends":
        return {"days": e["days"], "silent": count(e["silent"])}, {"days": e["days"]}
    if rule == "quota_runout":
        return ({"used": count(e["used"]), "forecast": count(e["forecast"]), "allowance": count(e["allowance"]),
                 "runs_out": e["runs_out_on"], "yen": yen(e["yen"]), "overage": count(e["overage"])}, {})
    if rule == "heavy_receivers":
        return ({"n": e["n"], "heavy": count(e["heavy"]), "following": count(e["following"]), "most": count(e["most"])},
                {"n": e["n"]})
    if rule == "menu_area":
        return ({"area": subject, "days": e["days"], "all": count(e["all_taps"]), "taps": count(e["taps"]),
                 "share": pct(e["share"])}, {"days": e["days"], "threshold": pct(e["threshold"])})
    if rule == "loader":
        rule_params = {"minutes": f"{th['loader_lag_minutes']:g}", "days": rules.QUARANTINE_DAYS}
        if subject == "behind":
            return ({"bytes": size(e["bytes_behind"]), "minutes": f"{e['lag_minutes']:.0f}",
                     "last": when(e["last_load"])}, rule_params)
        return ({"days": e["days"], "n": count(e["quarantined"]), "reason": e["latest_reason"] or "—"}, rule_params)
    raise KeyError(rule)


def describe(rule: str, subject: str, evidence: dict, lang: str, names: dict | None = None) -> dict:
    """{title, why, action, rule, page, page_label, urgency} in `lang`."""
    names = names or {}
    params, rule_params = _params(rule, subject, evidence, names, lang)
    key = _key(rule, subject)
    page = rules.RULES[rule][0]
    past = "_past" if rule == "quota_runout" and evidence.get("already") else ""
    return {"title": t(f"{key}.title{past}", lang, **params), "why": t(f"{key}.why{past}", lang, **params),
            "action": t(f"{key}.action", lang), "rule": t(f"hl.rule.{rule}.rule", lang, **rule_params),
            "page": page, "page_label": t(f"nav.{page}", lang),
            "urgency": t(f"hl.alert.urgency.{rules.RULES[rule][1]}", lang)}


# ---- goals --------------------------------------------------------------------------------------

def kpi_label(kpi: str, lang: str) -> str:
    return t(f"hl.kpi.{kpi}", lang, days=goals.WINDOW_DAYS)


def kpi_value(kpi: str, value) -> str:
    if value is None:
        return "—"
    return pct(value) if kpi in goals.RATES else count(value)


def kpi_change(kpi: str, value) -> str:
    if value is None:
        return "—"
    if kpi in goals.RATES:
        return f"{value * 100:+.2f} pt"
    return f"{value:+,.0f}"


def goal_lines(g, lang: str) -> dict:
    """A goal's texts: target, current, progress, pace, trend, forecast, state, method."""
    return {
        "label": kpi_label(g.kpi, lang),
        "target": t("hl.goal.target", lang, target=kpi_value(g.kpi, g.target), due=g.due_on.isoformat()),
        "current": t("hl.goal.current", lang, value=kpi_value(g.kpi, g.current)),
        "progress": None if g.progress is None else t("hl.goal.progress", lang, pct=f"{round(g.progress * 100)}%",
                                                      baseline=kpi_value(g.kpi, g.baseline)),
        "pace": None if g.pace_needed is None else t("hl.goal.pace", lang, pace=kpi_change(g.kpi, g.pace_needed),
                                                     weeks=f"{g.weeks_left:.1f}"),
        "trend": None if g.trend_per_week is None else t("hl.goal.trend", lang, trend=kpi_change(g.kpi, g.trend_per_week)),
        "forecast": None if g.forecast is None else t("hl.goal.forecast", lang, forecast=kpi_value(g.kpi, max(g.forecast, 0))),
        "state": t(f"hl.goal.state.{g.state}", lang),
        "method": t("hl.goal.method", lang, weeks=goals.TREND_WEEKS, days=goals.WINDOW_DAYS),
        "set_by": t("hl.goal.set_by", lang, who=g.set_by, at=when(g.set_at, fmt="%Y-%m-%d")),
    }
