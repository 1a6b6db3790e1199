"""What the Deliveries page shows, in the page's language: LINE's aggregates in words ("< 20",
"未取得"), codes by their labels, one number format, CSV headers in the UI language. The page only
draws what these functions return."""
from __future__ import annotations

import pandas as pd

from dashboard.core.i18n import TEXT, t

COLUMNS = ("sent_at", "title", "kind", "status", "is_promotion", "recipients", "unique_impressions",
           "unique_clicks", "reactors_24h", "blocks_24h", "conversions_7d")
TEST_COLUMNS = ("sent_at", "title", "status", "recipients")
_HEADER = {"title": "dlv.title_col", "is_promotion": "dlv.promotion", "status": "cmp.status"}
# Test sends' recipients are billed: their own header says so.
_TEST_HEADER = {"recipients": "dlv.test.recipients"}


def missing(value) -> bool:
    """None, NaN, NaT and pandas' NA alike (`value != value` is NA for pd.NA, whose truth is an error)."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array is not "missing"
        return False


def count(value) -> str:
    """The one number format of the page: thousands separated, '—' when there is none."""
    return "—" if missing(value) else f"{int(value):,}"


def aggregate(value, under_20: bool, has_stats: bool, lang: str) -> str:
    """LINE's aggregate of one delivery: null means under 20, no row means never synced."""
    if missing(has_stats) or not has_stats:
        return t("dlv.not_synced", lang)
    if missing(value):
        return "< 20"
    return count(value) + (" (+ < 20)" if not missing(under_20) and under_20 else "")


def code_label(group: str, code, lang: str) -> str:
    """A code (broadcast, sent, …) by its label; an unknown code is shown as it is, never a crash."""
    if missing(code):
        return "—"
    from dashboard.core.i18n import TEXT

    key = f"{group}.{code}"
    return t(key, lang) if key in TEXT else str(code)


def _when(series: pd.Series, tz: str) -> pd.Series:
    stamps = pd.to_datetime(series, utc=True)
    return stamps.dt.tz_convert(tz).dt.strftime("%Y-%m-%d %H:%M").fillna("—")


def table(frame: pd.DataFrame, lang: str, tz: str) -> pd.DataFrame:
    """The deliveries table with headers and cells in `lang`."""
    shown = pd.DataFrame({
        "sent_at": _when(frame["sent_at"], tz),
        "title": frame["title"].fillna("—"),
        "kind": [code_label("code.kind", k, lang) for k in frame["kind"]],
        "status": [code_label("cmp.status", s, lang) for s in frame["status"]],
        "is_promotion": [t("common.yes" if p is True else "common.no", lang) for p in frame["is_promotion"]],
        "recipients": [count(v) for v in frame["recipients"]],
        "unique_impressions": [aggregate(v, u, h, lang) for v, u, h in
                               zip(frame["unique_impressions"], frame["imp_under_20"], frame["has_stats"])],
        "unique_clicks": [aggregate(v, u, h, lang) for v, u, h in
                          zip(frame["unique_clicks"], frame["clk_under_20"], frame["has_stats"])],
        **{c: [count(v) for v in frame[c]] for c in ("reactors_24h", "blocks_24h", "conversions_7d")},
    }, columns=list(COLUMNS))
    return shown.rename(columns=headers(lang))


def headers(lang: str, columns=COLUMNS, extra: dict | None = None) -> dict[str, str]:
    names = {**_HEADER, **(extra or {})}
    return {c: t(names.get(c, f"dlv.{c}"), lang) for c in columns}


def csv_frame(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The CSV: raw values (numbers stay numbers), headers in the UI language."""
    cols = ["delivery_id", *COLUMNS]
    out = frame[[c for c in cols if c in frame.columns]]
    return out.rename(columns={"delivery_id": t("dlv.delivery_id", lang), **headers(lang)})


def test_sends(frame: pd.DataFrame, lang: str, tz: str) -> pd.DataFrame:
    """Test sends, apart from deliveries: when, what, status and the messages they used."""
    shown = pd.DataFrame({
        "sent_at": _when(frame["sent_at"], tz),
        "title": frame["title"].fillna("—"),
        "status": [code_label("cmp.status", s, lang) for s in frame["status"]],
        "recipients": [count(v) for v in frame["recipients"]],
    }, columns=list(TEST_COLUMNS))
    return shown.rename(columns=headers(lang, TEST_COLUMNS, _TEST_HEADER))


def detail_view(found: dict, lang: str, tz: str, see_ids: bool = False) -> None:
    """Draw one delivery's detail (dashboard/delivery_detail.detail) in `lang`; `see_ids`: the
    recipients' user IDs in full (operators and up), else masked."""
    import streamlit as st

    from dashboard.web import compose_ui
    from dashboard.analytics import delivery_detail

    head = found["head"]
    code, params = delivery_detail.audience(head)
    key = code if code in _texts() else "dlv.detail.audience.other"
    st.markdown(f"**{t('cmp.confirm.audience', lang)}:** {t(key, lang, **params)}  \n"
                f"**{t('cmp.status', lang)}:** {code_label('cmp.status', head['status'], lang)} · "
                f"{t('dlv.recipients', lang)} {count(head['sent_count'])} / {count(head['planned_count'])}")
    _exclusions(head, lang)
    left, right = st.columns([2, 3])
    with left:
        st.html(compose_ui.preview_html(found["messages"], "LINE公式アカウント", lang).replace("width:360px", "width:300px"))
    with right:
        st.markdown(f"**{t('dlv.detail.stats', lang)}**")
        stats = found["stats"]
        if stats.empty:
            st.info(t("dlv.detail.not_synced", lang))
        else:
            last = stats.iloc[-1]
            shown = {t("dlv.unique_impressions", lang): aggregate(last["unique_impressions"], False, True, lang),
                     t("dlv.unique_clicks", lang): aggregate(last["unique_clicks"], False, True, lang),
                     t("dlv.detail.as_of", lang): str(last["day"])[:10]}
            st.dataframe(pd.DataFrame([shown]), hide_index=True)
        st.markdown(f"**{t('dlv.detail.batches', lang)}**")
        batches = delivery_detail.batches_table(found["batches"])
        if batches.empty:
            st.caption(t("dlv.detail.no_ledger", lang))
        else:
            st.dataframe(batches.rename(columns={"batch_no": t("dlv.detail.batch", lang),
                                                 **{c: code_label("dlv.detail.ledger", c, lang) for c in batches.columns
                                                    if c != "batch_no"}}), hide_index=True)
    after = found["after"]
    st.markdown(f"**{t('dlv.detail.after', lang)}**")
    st.dataframe(pd.DataFrame({t("dlv.detail.day", lang): [t("dlv.detail.day_n", lang, n=int(d)) for d in after["day_no"]],
                               t("dlv.detail.reactors", lang): [count(v) for v in after["reactors"]],
                               t("kpi.blocks", lang): [count(v) for v in after["blocks"]],
                               t("dlv.detail.buyers", lang): [count(v) for v in after["buyers"]]}), hide_index=True)
    st.caption(t("dlv.detail.after.def", lang))
    _recipients(found.get("recipients"), lang, tz, see_ids)


def recipients_table(recipients: pd.DataFrame, lang: str, tz: str, see_ids: bool) -> pd.DataFrame:
    """The delivery's recipients in words, each with its friend-page link (column "friend")."""
    from dashboard.audience.running import mask_user_id
    from dashboard.web import friend_ui

    return pd.DataFrame({
        "friend": [friend_ui.link(k) if not missing(k) else None for k in recipients["user_key"]],
        t("fr.col.name", lang): [n if isinstance(n, str) else "" for n in recipients["display_name"]],
        t("fr.col.user_id", lang): [u if see_ids else mask_user_id(u) for u in recipients["user_id"]],
        t("fr.col.status", lang): [t(f"fr.st.{s}", lang) if f"fr.st.{s}" in TEXT else str(s) for s in recipients["status"]],
        t("fr.dlv.sent_at", lang): _when(recipients["sent_at"], tz),
        t("fr.dlv.error", lang): [e if isinstance(e, str) else "" for e in recipients["error"]],
    })


def _recipients(recipients: pd.DataFrame | None, lang: str, tz: str, see_ids: bool) -> None:
    import streamlit as st

    from dashboard.analytics import delivery_detail
    from dashboard.web import friend_ui

    if recipients is None or recipients.empty:   # a broadcast: LINE does not say who it reached
        return
    st.markdown(f"**{t('fr.dlv.recipients', lang)}**")
    st.dataframe(recipients_table(recipients, lang, tz, see_ids), hide_index=True, key="dlv_recipients",
                 column_config={"friend": friend_ui.link_column(lang)})
    st.caption(t("fr.dlv.recipients.def", lang, n=f"{delivery_detail.RECIPIENTS_SHOWN:,}"))


def _exclusions(head: dict, lang: str) -> None:
    """Who the rule matched, who each exclusion removed, who was left: as the compose page showed it."""
    import streamlit as st

    from dashboard.analytics import delivery_detail
    from dashboard.messaging.planning import exclusion_text

    kept = delivery_detail.exclusions(head)
    if kept is None:   # a broadcast goes to every friend through LINE: there is nothing to exclude
        st.caption(t("dlv.detail.excl.broadcast" if head.get("kind") == "broadcast" else "dlv.detail.excl.none", lang))
        return
    audience, steps = kept
    rows = [(t("dlv.detail.excl.matched", lang), count(audience))]
    rows += [(exclusion_text(code, params, lang), "−" + count(removed)) for code, removed, params in steps]
    rows.append((t("dlv.detail.excl.left", lang), count(audience - sum(n for _, n, _ in steps))))
    st.dataframe(pd.DataFrame(rows, columns=[t("dlv.detail.excl.step", lang), t("dlv.detail.excl.friends", lang)]),
                 hide_index=True, key="dlv_detail_excl")


def _texts():
    from dashboard.core.i18n import TEXT

    return TEXT


CAMPAIGN_KINDS = ("broadcast", "multicast", "narrowcast")


def campaigns(frame: pd.DataFrame) -> pd.DataFrame:
    """The deliveries an operator sent as campaigns (not scenario steps), for the outcome chart."""
    return frame[frame["kind"].isin(CAMPAIGN_KINDS)]


def row_clicked() -> None:
    """A row of the deliveries table was clicked: it opens, and the picker lets go."""
    import streamlit as st

    st.session_state["dlv_pick"] = None


def picker_changed() -> None:
    """A delivery was picked: the table's selection is dropped (a new key for the table)."""
    import streamlit as st

    st.session_state["dlv_pick_n"] = st.session_state.get("dlv_pick_n", 0) + 1


def opened(frame: pd.DataFrame, shown, picked) -> str | None:
    """The delivery to open: the clicked row while it is in the table, else the picked one."""
    rows = list(getattr(getattr(shown, "selection", None), "rows", None) or [])
    if rows and 0 <= rows[0] < len(frame):
        return frame["delivery_id"].iloc[rows[0]]
    return picked


def choices(frame: pd.DataFrame, tz: str) -> dict[str, str]:
    """delivery_id -> "2026-03-10 12:00 春の新作", for the picker that opens one delivery."""
    return dict(zip(frame["delivery_id"], _when(frame["sent_at"], tz) + " " + frame["title"].fillna("—")))
