"""`python -m dashboard report`: the Overview KPIs as JSON or Markdown, for a weekly e-mail."""
from __future__ import annotations

import json

from dashboard.core import config
from dashboard.core.i18n import t

RATE_KEYS = {"block_rate", "active_rate", "reactions_per_delivery"}


def fmt_value(key: str, value) -> str:
    if value is None:
        return "—"
    if key in RATE_KEYS:
        return f"{value * 100:.1f}%"
    return f"{int(value):,}"


def fmt_change(key: str, change) -> str:
    if change is None:
        return "—"
    if key in RATE_KEYS:
        return f"{change * 100:+.1f} pt"
    return f"{int(change):+,}"


def render(result: dict, period, fmt: str, lang: str = "ja") -> str:
    if fmt == "json":
        return json.dumps(result, ensure_ascii=False, indent=2, default=str)
    days = result.get("active_days") or config.get_int("DASHBOARD_ACTIVE_DAYS")
    head = t("common.vs_prev", lang)
    lines = [f"# {t('overview.title', lang)}",
             "",
             f"{result['period']['first']} – {result['period']['last']} ({result['period']['tz']}); "
             f"{head}: {result['previous']['first']} – {result['previous']['last']}",
             ""]
    if result["routes"]:
        lines += [f"{t('sidebar.routes', lang)}: {', '.join(result['routes'])}", ""]
    lines += ["| KPI | value | " + head + " | definition |", "|---|---:|---:|---|"]
    for key, item in result["kpis"].items():
        definition = t(f"kpi.{key}.def", lang, days=days) if key == "active_friends" else t(f"kpi.{key}.def", lang)
        label = t("kpi." + key, lang, days=days) if key == "active_friends" else t("kpi." + key, lang)
        lines.append(f"| {label} | {fmt_value(key, item['value'])} | "
                     f"{fmt_change(key, item['change'])} | {definition} |")
    return "\n".join(lines)
