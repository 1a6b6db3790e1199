"""Page widgets of issue 11, each called from a page in a line or two: LINE's own figures beside
ours (Overview), the count of friends with no known add date, and batches whose answer was lost
(Deliveries, Compose). Logic and role checks live in line_figures.py and unknown_batches.py."""
from __future__ import annotations

import streamlit as st

from dashboard.analytics import line_figures
from dashboard.web import ui
from dashboard.core.i18n import t


@st.cache_data(ttl=ui.VERSIONED_TTL_S, show_spinner=False)
def _comparison(db: str, version: str) -> line_figures.Comparison:
    cur = ui.cursor(db)
    try:
        return line_figures.compare(cur)
    finally:
        cur.close()


def line_figures_panel(f) -> None:
    """Overview: LINE's friends, targeted reach and blocks (with their day) beside ours, in words."""
    lang = f.lang
    c = _comparison(f.db, ui.data_version(f.db))
    st.subheader(t("i11.line.title", lang))
    if c.line_followers is not None:
        cols = st.columns(4)
        for col, key, value in ((cols[0], "i11.line.followers", c.line_followers),
                                (cols[1], "i11.line.reach", c.line_targeted_reaches),
                                (cols[2], "i11.line.blocks", c.line_blocks),
                                (cols[3], "i11.line.known_here", c.known)):
            col.metric(t(key, lang), "–" if value is None else f"{value:,}", border=True)
        st.caption(t("i11.line.as_of", lang, day=c.line_day.isoformat()))
    st.markdown(" ".join(t(key, lang, **params) for key, params in c.lines))


def no_add_date_note(f) -> None:
    """One caption: how many friends have no known add date (and so are never counted as adds)."""
    c = _comparison(f.db, ui.data_version(f.db))
    if c.sync_only:
        st.caption(t("i11.line.no_add_date", f.lang, n=c.sync_only))


def lost_answers_panel(f, delivery_id: str | None = None, key: str = "lost") -> None:
    """Deliveries / Compose: each batch whose answer was lost, what LINE's statistics say, and the
    sender's choices (checked and audited in unknown_batches.decide). Nothing shows when none."""
    from dashboard.messaging import unknown_batches

    lang = f.lang
    cur = ui.cursor(f.db)
    try:
        batches = unknown_batches.unanswered(cur, delivery_id)
        if not batches:
            return
        st.subheader(t("i11.lost.title", lang))
        st.caption(t("i11.lost.def", lang))
        for b in batches:
            with st.container(border=True):
                st.markdown(t("i11.lost.row", lang, title=b.title or b.delivery_id, batch=b.batch_no, n=b.recipients,
                              retry_key=b.retry_key, at=b.attempted_at.astimezone(f.period.start.tzinfo).strftime("%Y-%m-%d %H:%M"),
                              hours=b.age_hours))
                for code, params in b.line_says:
                    st.caption(t(code, lang, **params))
                _choices(f, cur, b, f"{key}_{b.delivery_id}_{b.batch_no}")
    finally:
        cur.close()


def _choices(f, cur, b, key: str) -> None:
    from dashboard.access import roles
    from dashboard.messaging import unknown_batches

    lang = f.lang
    ack = False
    if "retry" not in b.choices:
        ack = st.checkbox(t("i11.lost.ack", lang), key=f"{key}_ack")
    cols = st.columns(len(b.choices))
    for col, choice in zip(cols, b.choices):
        if col.button(t(f"i11.lost.{choice}", lang), key=f"{key}_{choice}"):
            try:
                status = unknown_batches.decide(ui.connection(f), cur, ui.user(), b.delivery_id, b.batch_no, choice,
                                                acknowledged=ack)
                st.success(t("i11.lost.done", lang, status=status))
            except roles.PermissionDenied as exc:
                ui.refuse(exc)
            except unknown_batches.DecisionRefused as exc:
                st.warning(t(exc.code, lang, **exc.params))
