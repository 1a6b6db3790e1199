"""The admin's staff-list box on the Audit page: list, add, remove (dashboard/messaging/staff.py checks
the role and every ID on the server and audits each change; this only draws and reports)."""
from __future__ import annotations

import streamlit as st

from dashboard.access import roles
from dashboard.core import config
from dashboard.messaging import staff
from dashboard.core.i18n import t


def admin_box(cur, user: roles.User | None, lang: str) -> None:
    with st.expander(t("staff.title", lang), expanded=True):
        st.caption(t("staff.def", lang, max=staff.max_staff()))
        done = st.session_state.pop("staff_done", None)   # said after the rerun that shows the new list
        if done:
            st.success(t(done, lang))
        crew = staff.members(cur)
        if crew.empty:
            st.info(t("staff.empty", lang))
        else:
            tz = config.timezone()
            crew = crew.assign(added_at=crew["added_at"].dt.tz_convert(tz).dt.strftime("%Y-%m-%d %H:%M"))
            st.dataframe(crew, hide_index=True, key="staff_table",
                         column_config={c: t(f"staff.col.{c}", lang) for c in crew.columns})
        with st.form("staff_add_form", clear_on_submit=True):
            left, right = st.columns(2)
            user_id = left.text_input(t("staff.user_id", lang), key="staff_user_id", max_chars=40)
            label = right.text_input(t("staff.label", lang), key="staff_label", max_chars=staff.MAX_LABEL)
            if st.form_submit_button(t("staff.add", lang)):
                _act(lambda: staff.add(cur, user, user_id, label), "staff.added", lang)
        if not crew.empty:
            labels = dict(zip(crew["user_id"], crew["label"].fillna("")))
            gone = st.selectbox(t("staff.remove", lang), list(labels), index=None, key="staff_remove_pick",
                                placeholder=t("staff.pick.one", lang),
                                format_func=lambda u: f"{labels[u]} ({u})" if labels[u] else u)
            if st.button(t("staff.remove", lang), key="staff_remove", disabled=not gone):
                _act(lambda: staff.remove(cur, user, gone), "staff.removed", lang)


def _act(action, done_key: str, lang: str) -> None:
    try:
        action()
    except staff.StaffError as err:
        st.error(t(f"staff.err.{err.code}", lang, **err.params))
        return
    except roles.PermissionDenied as exc:
        st.error(str(exc), icon=":material/block:")
        return
    st.session_state["staff_done"] = done_key
    st.rerun()
