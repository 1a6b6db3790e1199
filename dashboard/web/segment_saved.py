"""The Segments page's saved segments: save, load, update, rename, duplicate and delete (each
checked for the role on the server and audited by dashboard/audience/saved.py), the overlap of two or
three of them, and their size per day.
"""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from dashboard.access import roles
from dashboard.audience import rules, running, saved as segment_store
from dashboard.core.i18n import t
from dashboard.web import charts, words_ui
from dashboard.web.figures import chart
from dashboard.web.context import Filters, require
from dashboard.web.downloads import csv_download
from dashboard.web.questions import audience_question
from dashboard.web.widgets import definition, multi


def _act(con, lang: str, fn, *args) -> None:
    try:
        who = require("edit_segments")  # checked here, whatever the page showed
        fn(con, *args, who.name)
        st.session_state["seg_reset_delete"] = True  # a confirmation is good for one action only
        st.session_state["seg_flash"] = t("seg.done", lang)
        st.rerun()
    except (segment_store.SegmentStoreError, rules.RuleError) as exc:
        st.error(exc.text(lang))
    except roles.PermissionDenied as exc:
        st.error(str(exc))


def manage(con, cur, rule: dict, error: str | None, lang: str, names: dict | None = None) -> dict[str, str]:
    """Save the builder's rule, or act on a saved segment (shown as a sentence, `names`: the account's
    route and delivery names, with its JSON one click away). Returns {segment_id: name}."""
    saved = segment_store.list_segments(cur)
    ids = dict(zip(saved["segment_id"], saved["name"]))
    if st.session_state.pop("seg_reset_delete", False):  # before the checkbox exists in this run
        st.session_state["seg_delete_sure"] = False
    left, right = st.columns(2)
    with left:
        name = st.text_input(t("seg.name", lang), key="seg_name")
        if st.button(t("seg.save_new", lang), key="seg_save", disabled=bool(error)):
            _act(con, lang, segment_store.create, name, rule)
    with right:
        if saved.empty:
            st.caption(t("seg.none_saved", lang))
        else:
            chosen = st.selectbox(t("seg.pick_saved", lang), list(ids), key="seg_pick", format_func=ids.get)
            words_ui.show(segment_store.get(cur, segment_id=chosen)["rule"], lang, names, key="seg_saved_json",
                          label=ids[chosen])
            row = st.columns(3)
            if row[0].button(t("seg.load", lang), key="seg_load_btn", use_container_width=True):
                st.session_state["seg_load"] = segment_store.get(cur, segment_id=chosen)["rule"]
                st.rerun()
            if row[1].button(t("seg.update", lang), key="seg_update", disabled=bool(error), use_container_width=True):
                _act(con, lang, segment_store.update, chosen, rule)
            if row[2].button(t("seg.rename", lang), key="seg_rename", use_container_width=True):
                _act(con, lang, segment_store.rename, chosen, name)
            row = st.columns(3, vertical_alignment="center")
            if row[0].button(t("seg.duplicate", lang), key="seg_duplicate", use_container_width=True):
                _act(con, lang, segment_store.duplicate, chosen, name or f"{ids[chosen]} (2)")
            sure = row[2].checkbox(t("seg.delete.confirm", lang), key="seg_delete_sure")
            if row[1].button(t("seg.delete", lang), key="seg_delete", disabled=not sure, use_container_width=True):
                _act(con, lang, segment_store.delete, chosen)
    if flash := st.session_state.pop("seg_flash", None):
        st.success(flash)
    return ids


def overlap(cur, ids: dict[str, str], lang: str) -> None:
    """How two or three saved segments overlap (exact counts per region)."""
    if len(ids) < 2:
        return
    st.divider()
    st.subheader(t("seg.overlap", lang))
    picked = st.multiselect(t("seg.overlap.pick", lang), list(ids), default=list(ids)[:2], max_selections=3,
                            key="seg_overlap", format_func=ids.get, **multi(lang))
    if len(picked) < 2:
        return
    regions = running.overlap(cur, [segment_store.get(cur, segment_id=s)["rule"] for s in picked])
    letters = dict(zip(("in_a", "in_b", "in_c"), picked))
    regions["region"] = [" ∩ ".join(ids[letters[c]] for c in letters if row[c]) or "—"
                         for _, row in regions.iterrows()]
    chart(charts.overlap, regions, lang, key="seg_overlap_chart")
    csv_download(regions, "segment_overlap", key="seg_overlap_csv")


def sizes(con, cur, ids: dict[str, str], f: Filters, as_of) -> None:
    """Each picked saved segment's exact size per day (today's recorded whenever the page counts it)."""
    if not ids:
        return
    st.subheader(t("seg.sizes", f.lang))
    shown = st.multiselect(t("seg.pick_saved", f.lang), list(ids), default=list(ids)[:3], key="seg_sizes_pick",
                           format_func=ids.get, **multi(f.lang))
    if shown:
        # as_of is a midnight: the count describes the day that ends there
        day = (pd.Timestamp(as_of) - pd.Timedelta(microseconds=1)).tz_convert(f.period.tz).date()
        for segment_id in shown:
            rule_of = segment_store.get(cur, segment_id=segment_id)["rule"]
            size = audience_question(f.db, running.count, json.dumps(rule_of, ensure_ascii=False, sort_keys=True), as_of)
            segment_store.record_size(con, segment_id, day, size)
        frame = segment_store.daily_sizes(con, shown, f.period.first, f.period.last)
        chart(charts.segment_sizes, frame, ids, f.lang, key="seg_sizes_chart")
        csv_download(frame, "segment_sizes", key="seg_sizes_csv")
    definition(t("seg.sizes.def", f.lang))
