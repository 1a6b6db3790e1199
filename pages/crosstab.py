"""Cross-tab: friends added in the period, two dimensions against one outcome, with 95 % intervals;
saved views (open: everyone; save and delete: operators, audited)."""
import streamlit as st

from dashboard.analytics import crosstab
from dashboard.web import crosstab_ui, ui
from dashboard.core.i18n import t

f = ui.context()  # checked and drawn by dashboard/web/navigation.py
user = ui.user()
names = ui.route_names(f)
cur = ui.cursor(f.db)
try:
    scenarios = crosstab.scenarios(cur)
    crosstab_ui.saved_views(ui.connection(f), cur, user, f.lang)
finally:
    cur.close()
options = ui.builder_options(f.db)
crosstab_ui.open_pending(f.lang, options, scenarios)   # a view opened in the last run sets the widgets below
choice = crosstab_ui.controls(f.lang, options, scenarios)
ui.definition(t("fr.ct.def", f.lang))
if choice is not None:
    window = ui.lookback(f, "ct_window", "fr.ct.window")   # 30-day outcomes need adds older than 4 weeks
    frame = ui.ask(window, crosstab.cells, **choice)
    steps = next((s["steps"] for s in scenarios if s["scenario_id"] == choice["scenario"]), {})
    crosstab_ui.save_view(ui.connection(f), user, choice, st.session_state.get("ct_window", 26), f.lang)
    if frame.empty:
        st.info(t("common.no_data", f.lang))
    else:
        st.plotly_chart(crosstab_ui.heatmap(frame, choice, names, f.lang, steps), key="ct_chart")
        shown = crosstab_ui.table(frame, choice, names, f.lang, steps)
        st.dataframe(shown, hide_index=True, key="ct_table")
        ui.csv_download(shown, f"crosstab_{choice['rows']}_{choice['cols']}_{choice['outcome']}", key="ct_csv")
        if ui.allowed("edit_segments"):
            crosstab_ui.start_segment(frame, choice, names, f.lang)
