"""Segments: build a rule, see the exact audience live, save it, and look at interest x genre."""
import hashlib
import json

import pandas as pd
import streamlit as st

from dashboard.audience import rules as segments, running
from dashboard.web import charts, friend_ui, health_ui, segment_saved, segment_ui, ui
from dashboard.core import config
from dashboard.core.i18n import route_label, t

f = ui.context()  # checked and drawn by dashboard/web/navigation.py
health_ui.alerts_here(f, "segments")  # issue 16: the warning signs about this page
names = ui.route_names(f)
as_of = ui.segment_as_of(f)
cur = ui.cursor(f.db)
opts = ui.builder_options(f.db)
st.caption(t("seg.def", f.lang, as_of=pd.Timestamp(as_of).tz_convert(f.period.tz).strftime("%Y-%m-%d %H:%M")))
st.caption(t("seg.no_sidebar_filters", f.lang))

if pending := st.session_state.pop("seg_load", None):  # set by load / matrix / JSON, before widgets exist
    segment_ui.load(pending)

builder, result = st.columns([3, 2])
with builder:
    st.subheader(t("seg.builder", f.lang))
    segment_ui.draw({"routes": list(names), "route_label": lambda r: route_label(r, names, f.lang),
                     "tags": opts["tag"], "attribute_keys": opts["attribute_key"], "areas": opts["area"],
                     "categories": opts["category"], "genres": opts["genre"], "deliveries": opts["delivery"],
                     "delivery_label": lambda d: f"{opts['delivery_titles'].get(d) or ''} ({d})"}, f.lang)
rule = segment_ui.rule_json()
rule_text = json.dumps(rule, ensure_ascii=False, sort_keys=True)
error = None
try:
    segments.validate(rule)
except segments.RuleError as exc:
    error = exc.text(f.lang)

with result:
    if error and segment_ui.unfinished():   # a condition whose value is not chosen yet: say what to do
        st.info(t("seg.hint.choose_value", f.lang))
    elif error:
        st.error(f"{t('seg.invalid', f.lang)}: {error}")
    else:
        total = ui.audience_question(f.db, running.count, rule_text, as_of)
        reachable_rule = {"version": 1, "rule": {"all": [rule["rule"], {"field": "following", "value": True}]}}
        reachable = ui.audience_question(f.db, running.count, json.dumps(reachable_rule, ensure_ascii=False, sort_keys=True), as_of)
        st.metric(t("seg.count", f.lang), f"{total:,}", border=True)
        st.caption(f"{t('seg.count.following', f.lang)}: {reachable:,}")
        segment_ui.draw_reachable(segment_ui.reachable(f.db, rule_text, as_of), f.lang)
        st.subheader(t("seg.breakdown", f.lang))
        frame = ui.audience_question(f.db, running.breakdown, rule_text, as_of)
        if not frame.empty:
            ui.chart(charts.segment_breakdown, frame, names, f.lang, key="seg_breakdown")
    with st.expander(t("seg.json", f.lang)):
        # keyed by the rule: a widget keeps its own state, and this one must follow the builder
        edited = st.text_area("JSON", value=json.dumps(rule, ensure_ascii=False, indent=1), height=220,
                              key="seg_json_" + hashlib.sha1(rule_text.encode()).hexdigest()[:10])
        if st.button(t("seg.json.apply", f.lang), key="seg_json_apply"):
            try:
                segments.validate(edited)
                st.session_state["seg_load"] = segments.parse(edited)
                st.rerun()
            except segments.RuleError as exc:
                st.error(exc.text(f.lang))

if not error:
    st.subheader(t("seg.sample", f.lang))
    sample = ui.audience_question(f.db, running.sample, rule_text, as_of)
    sample.insert(0, "friend", [friend_ui.link(k) for k in sample.pop("user_key")])   # opens the friend page
    st.dataframe(sample, hide_index=True, key="seg_sample",
                 column_config={"friend": friend_ui.link_column(f.lang), "user_id": "user_id", "display_name": t("seg.display_name", f.lang),
                                "route": t("common.route", f.lang), "followed_at": t("seg.followed_at", f.lang),
                                "is_following": t("seg.following", f.lang), "interest_level": t("seg.interest", f.lang),
                                "genre": t("seg.genre", f.lang), "last_reaction_at": t("seg.last_reaction", f.lang)})
    ui.csv_download(sample.drop(columns="friend"), "segment_sample", key="seg_sample_csv")
    # deferred: the member list (maybe a million IDs) is built only when someone clicks
    if ui.allowed("export"):
        st.download_button(t("seg.export", f.lang), key="seg_export", file_name="segment_user_ids.csv",
                           mime="text/csv", data=lambda: ui.members_csv(f.db, rule_text))

st.divider()
st.subheader(t("seg.saved", f.lang))
con = ui.connection(f)
ids = segment_saved.manage(con, cur, rule, error, f.lang, {"routes": names, "deliveries": opts["delivery_titles"]})

st.divider()
st.subheader(t("seg.matrix", f.lang))
matrix = ui.audience_question(f.db, running.matrix, None, as_of)
ui.chart(charts.interest_genre, matrix, f.lang, key="seg_matrix")
ui.definition(t("seg.matrix.def", f.lang, hot=config.get("DASHBOARD_INTEREST_HOT"),
                warm=config.get("DASHBOARD_INTEREST_WARM"), dormant=config.get("DASHBOARD_INTEREST_DORMANT_DAYS")))
c1, c2, c3 = st.columns([2, 2, 3])
level = c1.selectbox(t("seg.interest", f.lang), list(segments.INTEREST_LEVELS), key=ui.lang_key("seg_cell_level", f.lang),
                     format_func=lambda x: t(f"seg.level.{x}", f.lang))
genre = c2.selectbox(t("seg.genre", f.lang), opts["genre"], key="seg_cell_genre")
if c3.button(t("seg.matrix.pick", f.lang), key="seg_cell_start", disabled=genre is None):
    st.session_state["seg_load"] = {"version": 1, "rule": {"all": [
        {"field": "following", "value": True}, {"field": "interest", "in": [level]}, {"field": "genre", "in": [genre]}]}}
    st.rerun()
ui.csv_download(matrix, "interest_genre_matrix", key="seg_matrix_csv")

segment_saved.overlap(cur, ids, f.lang)
segment_saved.sizes(con, cur, ids, f, as_of)
cur.close()
