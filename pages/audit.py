"""Audit: who did what and when (log-ins, segments, imports, test sends, approvals, sends) — admin."""
import datetime as dt
from zoneinfo import ZoneInfo

import streamlit as st

from dashboard.core import audit
from dashboard.web import friend_ui, periods, staff_ui, ui
from dashboard.core.i18n import t

f = ui.context()  # checked and drawn by dashboard/web/navigation.py
L, tz = f.lang, f.period.tz
cur = ui.connection(f).cursor()
staff_ui.admin_box(cur, ui.user(), L)  # who test sends may reach: kept by admins (issue 12)
ui.definition(t("audit.def", L))

today = dt.datetime.now(ZoneInfo(tz)).date()
c1, c2, c3 = st.columns([2, 1, 1])
c1.caption(t("audit.days", L))
days = periods.two_dates((today - dt.timedelta(days=30), today), "audit_days", L, container=c1)
ALL = "—"
actor = c2.selectbox(t("audit.actor", L), [ALL, *audit.actors(cur)], key="audit_actor")
action = c3.selectbox(t("audit.action", L), [ALL, *audit.actions(cur)], key="audit_action")
if days is None:
    st.stop()
rows = audit.search(cur, since=days[0], until=days[1], actor=None if actor == ALL else actor,
                    action=None if action == ALL else action, limit=audit.MAX_ROWS)
cur.close()
st.metric(t("audit.count", L), f"{len(rows):,}", border=True)
if rows.empty:
    st.info(t("common.no_data", L))
    st.stop()
shown = rows.assign(at=rows["at"].dt.tz_convert(tz).dt.strftime("%Y-%m-%d %H:%M:%S"))
friends = [friend_ui.link_to_user(o) for o in shown["object"]]   # rows about one friend open the friend page
st.dataframe(shown.assign(friend=friends), hide_index=True, key="audit_table",
             column_config={**{c: t(f"audit.col.{c}", L) for c in shown.columns}, "friend": friend_ui.link_column(L)})
ui.csv_download(shown, "audit_log", key="audit_csv")
