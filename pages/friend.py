"""Friend detail: find one friend, their card, one timeline of everything, tags, one message."""
import streamlit as st

from dashboard.audience import friend as friends
from dashboard.line import api
from dashboard.web import friend_ui, ui
from dashboard.core.i18n import t

f = ui.context()  # checked and drawn by dashboard/web/navigation.py
user = ui.user()
see_ids = ui.allowed("see_user_ids")   # viewers see masked user IDs
cur = ui.cursor(f.db)
try:
    key = friend_ui.find(cur, f.lang, see_ids)
    found = friends.story(cur, key, mask=not see_ids) if key is not None else None
    if key is not None and found is None:
        st.warning(t("fr.no_friend", f.lang))
    if found is not None:
        profile = found["profile"]
        names = ui.route_names(f)
        friend_ui.card(profile, names, f.period.tz, f.lang, see_ids)
        st.subheader(t("fr.scn", f.lang))
        if found["scenarios"].empty:
            st.caption(t("fr.scn.none", f.lang))
        else:
            ui.definition(t("fr.scn.def", f.lang))
            st.dataframe(friend_ui.scenarios_frame(found["scenarios"], f.period.tz, f.lang), hide_index=True,
                         key="fr_scenarios", width="stretch")
        st.subheader(t("fr.timeline", f.lang))
        ui.definition(t("fr.timeline.def", f.lang))
        shown = friend_ui.timeline_frame(found["timeline"], f.period.tz, f.lang, names)
        st.dataframe(shown, hide_index=True, key="fr_timeline", width="stretch")
        ui.csv_download(shown, f"friend_{key}", key="fr_timeline_csv")
        left, right = st.columns(2)
        with left:
            if see_ids:   # the editor needs the real user ID: operators and above
                friend_ui.tag_editor(ui.connection(f), cur, user, profile["user_id"], found["tags"], f.lang)
            else:
                st.subheader(t("fr.tags", f.lang))
                st.write("　".join(f"`{tag}`" for tag in found["tags"]["tag"]) or t("fr.tags.none", f.lang))
                st.caption(t("fr.tags.role", f.lang))
        with right:
            try:
                clients = ui.line_clients()
            except api.LineError as err:
                st.error(err.message)
            else:
                friend_ui.send_box(ui.connection(f), cur, user, key, clients, f.lang)
finally:
    cur.close()
