"""Page widgets of issue 11, each called from a page in a line or two: LINE's own figures beside
ours (Overview), the count of friends with no known add date, and batches whose answer was lost
(Deliveries, Compose). Logic and role checks live in line_figures.py and unknown_batches.py."""
from __future__ import annotations

import streamlit as st

from dashboard import line_figures, ui
from dashboard.i18n import t


@st.cache_data(ttl=ui.CACHE_TTL_S, show_spinner=False)
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
