"""`python -m dashboard report`: the Overview KPIs as JSON, Markdown or self-contained HTML, for a weekly
e-mail — with the account check-up (issue 16): the goals, the warning signs and the three things to do next."""
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


def render(result: dict, period, fmt: str, lang: str = "ja", summary=None, rpd=None) -> str:
    """`summary`: the check-up (dashboard.checkup.summary.weekly), added when given; `rpd`: the period's
    reactions per delivery, drawn in the HTML."""
    if fmt == "json":
        data = result if summary is None else {**result, "health": health_json(summary)}
        return json.dumps(data, ensure_ascii=False, indent=2, default=str)
    if fmt == "html":
        return render_html(result, summary, lang, rpd)
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
    if summary is not None:
        lines += health_markdown(summary, lang)
    return "\n".join(lines)


# ---- issue 16: the goals, the warning signs and what to do next; Markdown and self-contained HTML ----

def _sign_words(summary, lang: str) -> list[tuple[object, dict]]:
    from dashboard.checkup import words

    return [(s, words.describe(s.rule, s.subject, s.evidence, lang, summary.names)) for s in summary.signs]


def health_json(summary) -> dict:
    from dashboard.checkup import words

    return {"as_of": summary.as_of.isoformat(),
            "goals": [{"kpi": g.kpi, "target": g.target, "due_on": g.due_on.isoformat(), "current": g.current,
                       "progress": g.progress, "pace_needed_per_week": g.pace_needed, "trend_per_week": g.trend_per_week,
                       "forecast": g.forecast, "state": g.state} for g in summary.goals],
            "alerts": [{"rule": s.rule, "subject": s.subject, "status": s.status, "evidence": s.evidence,
                        "page": words.rules.RULES[s.rule][0]} for s in summary.signs],
            "next_actions": [{"rule": s.rule, "subject": s.subject} for s in summary.next_actions]}


def health_markdown(summary, lang: str) -> list[str]:
    from dashboard.checkup import words

    described = dict((id(s), d) for s, d in _sign_words(summary, lang))
    lines = ["", f"## {t('hl.report.next', lang)}", ""]
    if not summary.next_actions:
        lines.append(t("hl.report.next.none", lang))
    for i, s in enumerate(summary.next_actions, 1):
        d = described[id(s)]
        lines.append(f"{i}. **{d['title']}** — {d['action']}  \n   {t('hl.alert.evidence', lang)}: {d['why']} "
                     f"({t('hl.alert.open_page', lang, page=d['page_label'])})")
    lines += ["", f"## {t('hl.report.goals', lang)}", ""]
    if not summary.goals:
        lines.append(t("hl.goals.none", lang))
    for g in summary.goals:
        w = words.goal_lines(g, lang)
        parts = [w[k] for k in ("current", "target", "progress", "pace", "trend", "forecast") if w[k]]
        lines.append(f"- **{w['label']}** — {w['state']}: " + " · ".join(parts))
    if summary.goals:
        lines += ["", f"_{t('hl.goal.method', lang, weeks=words.goals.TREND_WEEKS, days=words.goals.WINDOW_DAYS)}_"]
    lines += ["", f"## {t('hl.report.alerts', lang)}", ""]
    if not summary.signs:
        lines.append(t("hl.alerts.none", lang))
    for s, d in _sign_words(summary, lang):
        state = "" if s.status == "open" else f" ({t('hl.alert.ack', lang) if s.status == 'acknowledged' else t('hl.alert.mute', lang)})"
        lines.append(f"- **{d['title']}**{state}: {d['why']} — {d['rule']}")
    lines += ["", t("hl.report.generated", lang, at=words.when(dt_now()), as_of=words.when(summary.as_of))]
    return lines


def dt_now():
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc)


def svg_line(points: list[tuple[float, float]], *, target: float | None = None, width: int = 320, height: int = 90,
             color: str = "#06C755", label: str = "") -> str:
    """A small line chart as inline SVG: the values (x ascending), and a dashed target line."""
    import html as _html

    if not points:
        return ""
    ys = [y for _, y in points] + ([target] if target is not None else [])
    lo, hi = min(ys), max(ys)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    x0, x1 = points[0][0], points[-1][0]
    span = (x1 - x0) or 1
    pad = 6

    def sx(x):
        return pad + (x - x0) / span * (width - 2 * pad)

    def sy(y):
        return height - pad - (y - lo) / (hi - lo) * (height - 2 * pad)

    path = " ".join(f"{'M' if i == 0 else 'L'}{sx(x):.1f},{sy(y):.1f}" for i, (x, y) in enumerate(points))
    dots = "".join(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.5" fill="{color}"/>' for x, y in points)
    goal = "" if target is None else (f'<line x1="{pad}" x2="{width - pad}" y1="{sy(target):.1f}" y2="{sy(target):.1f}" '
                                      f'stroke="#E5484D" stroke-dasharray="4 3"/>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{_html.escape(label)}"><rect width="100%" height="100%" fill="#fff"/>{goal}'
            f'<path d="{path}" fill="none" stroke="{color}" stroke-width="2"/>{dots}</svg>')


def svg_bars(values: list[float], *, width: int = 640, height: int = 110, color: str = "#3E63DD", label: str = "") -> str:
    """Bars as inline SVG (e.g. reactions per delivery, one bar per delivery, oldest first)."""
    import html as _html

    if not values:
        return ""
    top = max(values) or 1
    gap = 2
    w = max(1.0, (width - gap * len(values)) / len(values))
    bars = "".join(f'<rect x="{i * (w + gap):.1f}" y="{height - v / top * (height - 4):.1f}" width="{w:.1f}" '
                   f'height="{v / top * (height - 4):.1f}" fill="{color}"/>' for i, v in enumerate(values))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{_html.escape(label)}"><rect width="100%" height="100%" fill="#fff"/>{bars}</svg>')


def render_html(result: dict, summary, lang: str, rpd=None) -> str:
    """One self-contained HTML page (inline CSS, charts as inline SVG, no scripts, nothing fetched)."""
    import html as _html

    from dashboard.checkup import words

    e = _html.escape
    days = result.get("active_days") or config.get_int("DASHBOARD_ACTIVE_DAYS")
    p = result["period"]
    out = [f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{e(t("hl.report.title", lang))}</title>',
           "<style>body{font-family:'Noto Sans CJK JP','Hiragino Sans',Meiryo,sans-serif;max-width:760px;margin:24px auto;"
           "color:#1c2024;line-height:1.6}h1{font-size:22px}h2{font-size:18px;border-bottom:2px solid #06C755;padding-bottom:4px}"
           "table{border-collapse:collapse;width:100%;font-size:14px}td,th{border-bottom:1px solid #e0e1e6;padding:4px 6px;"
           "text-align:left}td.n{text-align:right}.card{border:1px solid #e0e1e6;border-radius:8px;padding:8px 12px;margin:8px 0}"
           ".muted{color:#60646c;font-size:13px}</style></head><body>",
           f"<h1>{e(t('hl.report.title', lang))}</h1>",
           f"<p class='muted'>{e(t('hl.report.period', lang, first=p['first'], last=p['last'], tz=p['tz']))}; "
           f"{e(t('common.vs_prev', lang))}: {e(result['previous']['first'])} – {e(result['previous']['last'])}</p>"]
    if result["routes"]:
        out.append(f"<p class='muted'>{e(t('sidebar.routes', lang))}: {e(', '.join(result['routes']))}</p>")
    out.append(f"<h2>{e(t('hl.report.next', lang))}</h2>")
    described = dict((id(s), d) for s, d in _sign_words(summary, lang))
    if not summary.next_actions:
        out.append(f"<p>{e(t('hl.report.next.none', lang))}</p>")
    else:
        out.append("<ol>")
        for s in summary.next_actions:
            d = described[id(s)]
            out.append(f"<li><b>{e(d['title'])}</b><br>{e(d['action'])}<br><span class='muted'>{e(t('hl.alert.evidence', lang))}: "
                       f"{e(d['why'])} ({e(t('hl.alert.open_page', lang, page=d['page_label']))})</span></li>")
        out.append("</ol>")
    out.append(f"<h2>{e(t('hl.report.kpis', lang))}</h2><table><tr><th>{e(t('hl.report.kpi', lang))}</th>"
               f"<th>{e(t('hl.report.value', lang))}</th><th>{e(t('hl.report.change', lang))}</th>"
               f"<th>{e(t('hl.report.definition', lang))}</th></tr>")
    for key, item in result["kpis"].items():
        label = t("kpi." + key, lang, days=days) if key == "active_friends" else t("kpi." + key, lang)
        definition = t(f"kpi.{key}.def", lang, days=days) if key == "active_friends" else t(f"kpi.{key}.def", lang)
        out.append(f"<tr><td>{e(label)}</td><td class='n'>{e(fmt_value(key, item['value']))}</td>"
                   f"<td class='n'>{e(fmt_change(key, item['change']))}</td><td class='muted'>{e(definition)}</td></tr>")
    out.append("</table>")
    if rpd is not None and len(rpd):
        rates = [float(r) for r in rpd["reaction_rate"].fillna(0)]
        out.append(f"<p><b>{e(t('eng.rpd', lang))}</b></p>" + svg_bars(rates, label=t("eng.rpd", lang))
                   + f"<p class='muted'>{e(t('kpi.reactions_per_delivery.def', lang))}</p>")
    out.append(f"<h2>{e(t('hl.report.goals', lang))}</h2>")
    if not summary.goals:
        out.append(f"<p>{e(t('hl.goals.none', lang))}</p>")
    for g in summary.goals:
        w = words.goal_lines(g, lang)
        scale = 100 if g.kpi in words.goals.RATES else 1
        pts = [(float((d - g.as_of_day).days), v * scale) for d, v in g.history if v is not None]
        parts = [w[k] for k in ("current", "target", "progress", "pace", "trend", "forecast") if w[k]]
        out.append(f"<div class='card'><b>{e(w['label'])}</b> — {e(w['state'])}<br>{'<br>'.join(e(x) for x in parts)}<br>"
                   + svg_line(pts, target=g.target * scale, label=w["label"])
                   + f"<br><span class='muted'>{e(t('hl.report.chart', lang, weeks=words.goals.TREND_WEEKS))}</span></div>")
    if summary.goals:
        out.append(f"<p class='muted'>{e(t('hl.goal.method', lang, weeks=words.goals.TREND_WEEKS, days=words.goals.WINDOW_DAYS))}</p>")
    out.append(f"<h2>{e(t('hl.report.alerts', lang))}</h2>")
    if not summary.signs:
        out.append(f"<p>{e(t('hl.alerts.none', lang))}</p>")
    for s, d in _sign_words(summary, lang):
        out.append(f"<div class='card'><b>{e(d['title'])}</b> <span class='muted'>({e(d['urgency'])})</span><br>{e(d['why'])}"
                   f"<br>{e(t('hl.alert.action', lang))}: {e(d['action'])}<br><span class='muted'>{e(t('hl.alert.rule', lang))}: "
                   f"{e(d['rule'])}</span></div>")
    out.append(f"<p class='muted'>{e(t('hl.report.generated', lang, at=words.when(dt_now()), as_of=words.when(summary.as_of)))}</p>")
    out.append("</body></html>")
    return "\n".join(out)
