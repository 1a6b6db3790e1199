"""Overview: is LINE working for us? KPIs with definitions and change vs the previous period."""
import pandas as pd
import streamlit as st

from dashboard.analytics import metrics
from dashboard.web import account_ui, charts, health_ui, ui
from dashboard.core.i18n import t

f = ui.context()  # checked and drawn by dashboard/web/navigation.py
health_ui.alerts_here(f, "overview")  # issue 16: the warning signs about this page

result = ui.ask(f, metrics.overview_kpis)
kpis = result["kpis"]
rows = [("friends", "following", "new_friends"), ("blocks", "block_rate", "active_friends"),
        ("active_rate", "reactions_per_delivery", "messages_sent_month")]
for row in rows:
    for col, key in zip(st.columns(3), row):
        with col:
            ui.kpi(key, kpis[key], result["active_days"])

# issue 19: this month's quota (LINE's allowance, what is left, the overage at the current pace)
ui.quota_cards(ui.ask(f, metrics.quota_month))

st.caption(f"{f.period.first} – {f.period.last} · {t('common.vs_prev', f.lang)}: "
           f"{result['previous']['first']} – {result['previous']['last']}")
account_ui.line_figures_panel(f)  # LINE's own figures beside ours, and the difference in words

left, right = st.columns(2)
with left:
    st.subheader(t("overview.trend", f.lang))
    rpd = ui.ask(ui.lookback(f, "overview_trend_window", "common.history"), metrics.reactions_per_delivery)
    if rpd.empty:
        st.info(t("common.no_data", f.lang))
    else:
        ui.chart(charts.reactions_per_delivery, rpd, f.lang, key="overview_rpd")
    ui.definition(t("overview.trend.def", f.lang))
with right:
    st.subheader(t("overview.daily", f.lang))
    daily = ui.ask(f, metrics.adds_blocks_daily)
    ui.chart(charts.adds_blocks, daily, f.lang, key="overview_daily")
    ui.definition(t("acq.daily.def", f.lang))

table = [{"kpi": t(f"kpi.{k}", f.lang, days=result["active_days"]) if k == "active_friends" else t(f"kpi.{k}", f.lang), "value": v["value"], "previous": v["previous"], "change": v["change"]}
         for k, v in kpis.items()]
ui.csv_download(pd.DataFrame(table), f"overview_{f.period.first}_{f.period.last}", key="overview_csv")
