"""ステップ配信: scenarios with their counts, one scenario's timeline, preview and funnel per step,
its status, enrolling existing friends, and scenario files in and out."""
import json

import streamlit as st

from dashboard.core.i18n import t
from dashboard.scenarios import funnel, store
from dashboard.web import compose_ui, scenario_editor, scenario_ui, ui

f = ui.context()  # checked and drawn by dashboard/web/navigation.py
L = f.lang
con = ui.connection(f)
cur = ui.cursor(f.db)

ui.definition(t("scn.def", L))
silent = funnel.silent_friends(cur)
if not silent.empty:
    st.warning(t("scn.silent", L, n=int(silent["friends"].sum()), days=funnel.SILENT_DAYS), icon=":material/schedule:")

frame = store.list_scenarios(cur)
if frame.empty:
    st.info(t("scn.none", L))
else:
    table = scenario_ui.list_table(frame, L)
    st.dataframe(table, hide_index=True, key="scn_list")
    ui.csv_download(table, "scenarios", key="scn_csv")
    name = st.selectbox(t("scn.pick", L), list(frame["name"]), key="scn_pick")
    scenario, info = store.load(cur, name), store.row(cur, name)
    st.caption(scenario_ui.settings_line(scenario, L))

    st.subheader(t("scn.timeline", L))
    st.dataframe(scenario_ui.timeline(scenario, L), hide_index=True, key="scn_timeline")
    with st.expander(t("scn.preview", L)):
        shown = st.selectbox(t("scn.preview.pick", L), [s.step_no for s in scenario.steps], key="scn_preview_step",
                             format_func=lambda n: f"#{n} {scenario.steps[n].name or ''}")
        st.html(compose_ui.preview_html(scenario.steps[shown].messages, "LINE公式アカウント", L))

    st.subheader(t("scn.funnel", L))
    st.caption(t("scn.funnel.def", L))
    by_route = st.toggle(t("scn.funnel.by_route", L), key="scn_by_route")
    steps = funnel.table(cur, name, by_route=by_route, routes=f.routes)
    if steps.empty:
        st.info(t("scn.funnel.none", L))
    else:
        worst = funnel.worst_step(cur, name)
        if not by_route:
            st.plotly_chart(scenario_ui.funnel_chart(steps, L), key="scn_funnel_chart")
        st.dataframe(scenario_ui.funnel_table(steps, L, worst, by_route), hide_index=True, key="scn_funnel")
        if worst is not None:
            rate = float(funnel.table(cur, name).set_index("step_no").loc[worst, "blocked_rate"])
            st.caption(t("scn.funnel.worst", L, n=worst, rate=rate))
        ui.csv_download(steps, f"scenario_funnel_{name}", key="scn_funnel_csv")
    via = funnel.reply_savings(cur, name)
    left, middle, right = st.columns(3)
    left.metric(t("scn.reply", L), f"{via['reply']:,}")
    middle.metric(t("scn.push", L), f"{via['push']:,}")
    right.metric(t("scn.saved", L), t("scn.saved.value", L, yen=via["yen_saved"]))

    if ui.allowed("draft"):
        st.subheader(t("scn.status.box", L))
        scenario_ui.status_box(con, cur, name, info["status"], L)
        st.download_button(t("scn.export", L), json.dumps(store.export(cur, name), ensure_ascii=False, indent=2),
                           file_name=f"{name}.json", mime="application/json", key="scn_export")
    if ui.allowed("test_send"):
        with st.expander(t("scn.test", L)):
            scenario_ui.test_box(con, cur, scenario, L)
    if ui.allowed("send") and info["status"] in ("active", "paused", "draft"):
        with st.expander(t("scn.enrol", L)):
            scenario_ui.enrol_box(con, cur, name, f.period.tz, L)

if ui.allowed("draft"):
    with st.expander(t("scn.ed.box", L), expanded=frame.empty):
        statuses = {} if frame.empty else dict(zip(frame["name"], frame["status"]))
        scenario_editor.panel(con, cur, f, list(statuses), statuses, L)
    with st.expander(t("scn.import", L)):
        scenario_ui.import_box(con, L)
cur.close()
