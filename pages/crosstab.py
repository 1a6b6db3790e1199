"""Cross-tab: friends added in the period, two dimensions against one outcome, with 95 % intervals."""
import streamlit as st

from dashboard.analytics import crosstab
from dashboard.web import crosstab_ui, ui
from dashboard.core.i18n import t

f = ui.context()  # checked and drawn by dashboard/web/navigation.py
names = ui.route_names(f)
choice = crosstab_ui.controls(f.lang, ui.builder_options(f.db))
ui.definition(t("fr.ct.def", f.lang))
if choice is not None:
    window = ui.lookback(f, "ct_window", "fr.ct.window")   # 30-day outcomes need adds older than 4 weeks
    frame = ui.ask(window, crosstab.cells, **choice)
    if frame.empty:
        st.info(t("common.no_data", f.lang))
    else:
        st.plotly_chart(crosstab_ui.heatmap(frame, choice, names, f.lang), key="ct_chart")
        shown = crosstab_ui.table(frame, choice, names, f.lang)
        st.dataframe(shown, hide_index=True, key="ct_table")
        ui.csv_download(shown, f"crosstab_{choice['rows']}_{choice['cols']}_{choice['outcome']}", key="ct_csv")
        if ui.allowed("edit_segments"):
            crosstab_ui.start_segment(frame, choice, names, f.lang)
