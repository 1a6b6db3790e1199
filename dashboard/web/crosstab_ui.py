"""The cross-tab page's widgets and its heatmap: pick two dimensions and an outcome, see each cell's
rate, count and 95 % interval (cells below the minimum count greyed, saying so), download it, open a
cell as a segment on the Segments page, and save, open or delete the choices as a named view (the
checks and the audit are dashboard/analytics/crosstab_views.py's)."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.access import roles
from dashboard.analytics import crosstab, crosstab_views
from dashboard.audience import rules
from dashboard.core.i18n import route_label, t
from dashboard.web.charts import GREY, _layout
from dashboard.web.context import lang_key


def _keys(lang: str) -> dict[str, str]:
    """The widgets' session keys, by the choice they hold (a saved view is opened through them)."""
    return {"rows": lang_key("ct_rows", lang), "cols": lang_key("ct_cols", lang),
            "outcome": lang_key("ct_outcome", lang), "scenario": lang_key("ct_scenario", lang),
            "tag_prefix": "ct_tag_prefix", "attr_key": "ct_attr_key", "days": "ct_days", "min_count": "ct_min",
            "weeks": "ct_window"}


def open_pending(lang: str, options: dict, scenarios: list[dict]) -> None:
    """Before the widgets exist: a view picked in the last run puts its choices into them (a
    scenario or attribute key that no longer exists is left to the widget's default)."""
    view = st.session_state.pop("ct_open_view", None)
    if not view:
        return
    known = {"scenario": {s["scenario_id"] for s in scenarios}, "attr_key": set(options.get("attribute_key") or [])}
    for name, key in _keys(lang).items():
        value = view.get(name)
        if value in (None, "") or (name in known and value not in known[name]):
            continue
        st.session_state[key] = value


def controls(lang: str, options: dict, scenarios: list[dict] | None = None) -> dict | None:
    """The choices as keyword arguments of crosstab.cells, or None when they cannot be used yet.
    `scenarios`: crosstab.scenarios() — the scenario dimension is offered when there is one."""
    scenarios = scenarios or []
    dims = [d for d in crosstab.DIMENSIONS if d != "scenario" or scenarios]
    a, b, c = st.columns(3)
    rows = a.selectbox(t("fr.ct.rows", lang), dims, key=lang_key("ct_rows", lang), format_func=lambda d: t(f"fr.ct.dim.{d}", lang))
    cols = b.selectbox(t("fr.ct.cols", lang), dims, index=dims.index("interest"), key=lang_key("ct_cols", lang),
                       format_func=lambda d: t(f"fr.ct.dim.{d}", lang))
    outcome = c.selectbox(t("fr.ct.outcome", lang), list(crosstab.OUTCOMES), key=lang_key("ct_outcome", lang),
                          format_func=lambda o: t(f"fr.ct.out.{o}", lang))
    d, e, g = st.columns(3)
    tag_prefix = d.text_input(t("fr.ct.tag_prefix", lang), key="ct_tag_prefix",
                              value=_common_prefix(options.get("tag") or [])) if "tag" in (rows, cols) else ""
    attr_key = (e.selectbox(t("fr.ct.attr_key", lang), options.get("attribute_key") or [], key="ct_attr_key")
                if "attribute" in (rows, cols) else "")
    names = {s["scenario_id"]: s["name"] for s in scenarios}
    scenario = (e.selectbox(t("fr.ct.scenario", lang), list(names), key=lang_key("ct_scenario", lang),
                            format_func=names.get) if "scenario" in (rows, cols) else "")
    days = d.number_input(t("fr.ct.days", lang), 1, 365, 30, key="ct_days") if outcome == "purchased" else 30
    least = g.number_input(t("fr.ct.min", lang), 1, 100_000, crosstab.MIN_COUNT, key="ct_min")
    if rows == cols:
        st.info(t("fr.ct.same", lang))
        return None
    if "tag" in (rows, cols) and not tag_prefix:
        st.info(t("fr.ct.need_prefix", lang))
        return None
    if "attribute" in (rows, cols) and not attr_key:
        st.info(t("fr.ct.need_key", lang))
        return None
    if "scenario" in (rows, cols):
        st.caption(t("fr.ct.scenario.def", lang))
    return {"rows": rows, "cols": cols, "outcome": outcome, "tag_prefix": tag_prefix, "attr_key": attr_key or "",
            "scenario": scenario or "", "days": int(days), "min_count": int(least)}


def saved_views(con, cur, user, lang: str) -> None:
    """Open a saved view (everyone who sees the page); save the current choices or delete a view
    (operators and up: checked again on the server, audited). Drawn before the controls: opening a
    view sets them on the next run."""
    views = crosstab_views.list_views(cur)
    names = dict(zip(views["view_id"], views["name"]))
    with st.expander(t("fr.ct.views", lang), expanded=False):
        if names:
            a, b = st.columns([3, 1], vertical_alignment="bottom")
            picked = a.selectbox(t("fr.ct.view.pick", lang), list(names), key="ct_view_pick", format_func=names.get)
            if b.button(t("fr.ct.view.open", lang), key="ct_view_open"):
                st.session_state["ct_open_view"] = crosstab_views.get(cur, view_id=picked)
                st.rerun()
            if user and user.may("edit_segments"):
                sure = st.checkbox(t("fr.ct.view.delete.sure", lang), key="ct_view_delete_sure")
                if st.button(t("fr.ct.view.delete", lang), key="ct_view_delete", disabled=not sure):
                    _act(lambda: crosstab_views.delete(con, user, picked), lang, "fr.ct.view.deleted")
        else:
            st.caption(t("fr.ct.view.none", lang))
        if flash := st.session_state.pop("ct_view_flash", None):
            st.success(flash)


def save_view(con, user, choice: dict, weeks: int, lang: str) -> None:
    """Save the choices on screen as a named view (operators and up)."""
    if not (user and user.may("edit_segments")):
        return
    a, b = st.columns([3, 1], vertical_alignment="bottom")
    name = a.text_input(t("fr.ct.view.name", lang), key="ct_view_name")
    if b.button(t("fr.ct.view.save", lang), key="ct_view_save"):
        _act(lambda: crosstab_views.save(con, user, name, {**choice, "weeks": int(weeks)}), lang, "fr.ct.view.saved")


def _act(fn, lang: str, done: str) -> None:
    try:
        fn()
    except crosstab_views.ViewError as exc:
        st.error(t(f"fr.ct.view.err.{exc.code}", lang, **exc.params))
    except crosstab.CrosstabError as exc:
        st.error(t(f"fr.ct.err.{exc.code}", lang))
    except roles.PermissionDenied as exc:
        st.error(str(exc))
    else:
        st.session_state["ct_view_flash"] = t(done, lang)
        st.rerun()


def _common_prefix(tags: list[str]) -> str:
    """A first guess for the tag prefix: the most common "xxx:" of the account's tags."""
    prefixes = pd.Series([tag.split(":", 1)[0] + ":" for tag in tags if ":" in tag])
    return "" if prefixes.empty else str(prefixes.value_counts().index[0])


def value_label(dim: str, value: str, names: dict, lang: str, steps: dict | None = None) -> str:
    """A value in words; `steps` ({step_no: name}) names the scenario dimension's steps."""
    if dim == "scenario":
        if value == crosstab.NONE:
            return t("fr.ct.scenario.none", lang)
        if value == crosstab.ENROLLED:
            return t("fr.ct.scenario.enrolled", lang)
        name = (steps or {}).get(int(value)) or ""
        return t("fr.ct.scenario.step", lang, n=value, name=f" {name}" if name else "")
    if value == crosstab.NONE:
        return t("fr.ct.none", lang)
    if dim == "route":
        return route_label(value, names, lang)
    if dim == "interest":
        return t(f"seg.level.{value}", lang)
    if dim == "crm":
        return t(f"fr.ct.crm.{value}", lang)
    return value


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def ordered(dim: str, values) -> list[str]:
    """A dimension's values in an operator's order: interest hot → dormant, CRM bands up, the rest as
    sorted, "none" last."""
    order = {"interest": list(rules.INTEREST_LEVELS), "crm": list(crosstab.CRM_BANDS)}.get(dim)
    unique = list(dict.fromkeys(values))
    if dim == "scenario":   # enrolled, then step 0, 1, … 10 in number order; not enrolled last
        return sorted(unique, key=lambda v: (v == crosstab.NONE, v != crosstab.ENROLLED,
                                             int(v) if v.isdigit() else -1))
    rank = (lambda v: order.index(v) if v in order else len(order)) if order else (lambda v: 0)
    return sorted(unique, key=lambda v: (v == crosstab.NONE, rank(v), v))


def heatmap(frame: pd.DataFrame, choice: dict, names: dict, lang: str, steps: dict | None = None) -> go.Figure:
    rows_dim, cols_dim = choice["rows"], choice["cols"]
    rows = ordered(rows_dim, frame["row_value"])
    cols = ordered(cols_dim, frame["col_value"])
    at = {(r, c): rec for r, c, rec in zip(frame["row_value"], frame["col_value"], frame.to_dict("records"))}
    z, grey, text = [], [], []
    for r in rows:
        zr, gr, tr = [], [], []
        for c in cols:
            rec = at.get((r, c))
            if rec is None:
                zr.append(None), gr.append(None), tr.append("")
            elif rec["enough"]:
                zr.append(rec["rate"] * 100), gr.append(None)
                tr.append(f"{_pct(rec['rate'])}<br>n={rec['friends']:,}<br>[{_pct(rec['low'])}–{_pct(rec['high'])}]")
            else:
                zr.append(None), gr.append(1)
                tr.append(t("fr.ct.few", lang, n=f"{rec['friends']:,}"))
        z.append(zr), grey.append(gr), text.append(tr)
    x = [value_label(cols_dim, c, names, lang, steps) for c in cols]
    y = [value_label(rows_dim, r, names, lang, steps) for r in rows]
    fig = go.Figure()
    fig.add_trace(go.Heatmap(z=grey, x=x, y=y, colorscale=[[0, "#E8E8EC"], [1, "#E8E8EC"]], showscale=False,
                             hoverinfo="skip", xgap=2, ygap=2))
    fig.add_trace(go.Heatmap(z=z, x=x, y=y, text=text, texttemplate="%{text}", textfont=dict(size=11),
                             colorscale=[[0, "#F1FBF4"], [1, "#04843A"]], xgap=2, ygap=2,
                             colorbar=dict(title=t("fr.ct.hover", lang), ticksuffix="%"),
                             hovertemplate="%{y} × %{x}<br>%{text}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", title=t(f"fr.ct.dim.{rows_dim}", lang), type="category")
    fig.update_xaxes(title=t(f"fr.ct.dim.{cols_dim}", lang), type="category")
    fig.update_layout(title=t("fr.ct.chart", lang, outcome=t(f"fr.ct.out.{choice['outcome']}", lang),
                              min=f"{choice['min_count']:,}"))
    return _layout(fig, height=max(320, 70 * len(rows) + 160), hovermode="closest", margin=dict(l=10, r=10, t=50, b=10))


def table(frame: pd.DataFrame, choice: dict, names: dict, lang: str, steps: dict | None = None) -> pd.DataFrame:
    """The cells as a table in the page's words (also the CSV)."""
    return pd.DataFrame({
        t("fr.ct.col.rows", lang): [value_label(choice["rows"], v, names, lang, steps) for v in frame["row_value"]],
        t("fr.ct.col.cols", lang): [value_label(choice["cols"], v, names, lang, steps) for v in frame["col_value"]],
        t("fr.ct.col.friends", lang): frame["friends"], t("fr.ct.col.hits", lang): frame["hits"],
        t("fr.ct.col.rate", lang): (frame["rate"] * 100).round(2), t("fr.ct.col.low", lang): (frame["low"] * 100).round(2),
        t("fr.ct.col.high", lang): (frame["high"] * 100).round(2), t("fr.ct.col.enough", lang): frame["enough"],
    })


def start_segment(frame: pd.DataFrame, choice: dict, names: dict, lang: str) -> None:
    """Pick a cell and open its friends (following now) as a rule on the Segments page."""
    st.subheader(t("fr.ct.segment", lang))
    if "scenario" in (choice["rows"], choice["cols"]):   # rules have no scenario condition
        st.info(t("fr.ct.err.scenario_segment", lang))
        return
    a, b, c = st.columns([2, 2, 2], vertical_alignment="bottom")
    row = a.selectbox(t("fr.ct.segment.row", lang), list(dict.fromkeys(frame["row_value"])), key=lang_key("ct_seg_row", lang),
                      format_func=lambda v: value_label(choice["rows"], v, names, lang))
    col = b.selectbox(t("fr.ct.segment.col", lang), list(dict.fromkeys(frame["col_value"])), key=lang_key("ct_seg_col", lang),
                      format_func=lambda v: value_label(choice["cols"], v, names, lang))
    if c.button(t("fr.ct.segment.go", lang), key="ct_seg_go"):
        st.session_state["seg_load"] = crosstab.cell_rule(choice["rows"], row, choice["cols"], col,
                                                          tag_prefix=choice["tag_prefix"], attr_key=choice["attr_key"])
        from dashboard.core.config import ROOT

        st.switch_page(ROOT / "pages" / "segments.py")   # the Segments page loads seg_load before its widgets
