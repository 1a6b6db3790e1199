"""The compose page's widgets: message editor, LINE-like preview, plan sections, approvals.

Editor widgets are keyed f"msg_{i}_{name}"; `messages()` turns their values into LINE message
objects (the JSON LINE's API takes). `preview_html()` draws them as a LINE chat at phone width.
"""
from __future__ import annotations

import html
import json

import streamlit as st

from dashboard.core.i18n import t

KINDS = ("text", "image", "buttons", "flex")


def _k(i: int, name: str, prefix: str = "msg") -> str:
    return f"{prefix}_{i}_{name}"


def editor(lang: str, prefix: str = "msg") -> None:
    """The bubbles' widgets; `prefix` keeps several editors apart (a scenario's steps)."""
    count = st.number_input(t("cmp.bubbles", lang), min_value=1, max_value=5, key=f"{prefix}_count")  # 1 (min) unless a draft says
    for i in range(int(count)):
        with st.container(border=True):
            # a radio, not a selectbox: a keyed selectbox keeps its old language's label (web/context.lang_key)
            kind = st.radio(f"{t('cmp.bubble', lang)} {i + 1}", KINDS, key=_k(i, "kind", prefix), horizontal=True,
                            format_func=lambda x: t(f"cmp.kind.{x}", lang))
            if kind == "text":
                st.text_area(t("cmp.text", lang), key=_k(i, "text", prefix), height=120,
                             help=t("cmp.text.help", lang))
            elif kind == "image":
                st.text_input(t("cmp.image_url", lang), key=_k(i, "url", prefix), placeholder="https://…")
                st.text_input(t("cmp.preview_url", lang), key=_k(i, "preview", prefix), placeholder="https://…")
            elif kind == "buttons":
                st.text_input(t("cmp.title", lang), key=_k(i, "title", prefix))
                st.text_area(t("cmp.text", lang), key=_k(i, "text", prefix), height=80)
                st.text_area(t("cmp.links", lang), key=_k(i, "links", prefix), height=90, help=t("cmp.links.help", lang),
                             placeholder="詳しく見る | https://example.com/item")
                st.text_input(t("cmp.alt_text", lang), key=_k(i, "alt", prefix))
            else:
                st.text_input(t("cmp.alt_text", lang), key=_k(i, "alt", prefix))
                st.text_area(t("cmp.flex_json", lang), key=_k(i, "flex", prefix), height=160,
                             placeholder='{"type": "bubble", "body": {…}}')


def messages(prefix: str = "msg") -> tuple[list[tuple[str, dict]], list[str]]:
    """(LINE message objects, editor problems that make a bubble impossible to build, as
    (check code, params) for compose.Check)."""
    out, problems = [], []
    count = int(st.session_state.get(f"{prefix}_count", 1))
    for i in range(count):
        kind = st.session_state.get(_k(i, "kind", prefix), "text")
        get = lambda name: (st.session_state.get(_k(i, name, prefix)) or "")  # noqa: E731
        if kind == "text":
            out.append({"type": "text", "text": get("text")})
        elif kind == "image":
            url = get("url").strip()
            out.append({"type": "image", "originalContentUrl": url, "previewImageUrl": get("preview").strip() or url})
        elif kind == "buttons":
            actions = []
            for line_no, line in enumerate(get("links").splitlines(), 1):
                if not line.strip():
                    continue
                label, _, uri = line.partition("|")
                if not uri.strip():
                    problems.append(("editor_link", {"bubble": i + 1, "line": line_no}))
                actions.append({"type": "uri", "label": label.strip(), "uri": uri.strip()})
            template = {"type": "buttons", "text": get("text"), "actions": actions}
            if get("title").strip():
                template["title"] = get("title").strip()
            out.append({"type": "template", "altText": get("alt") or get("text")[:400], "template": template})
        else:
            try:
                contents = json.loads(get("flex") or "null")
            except json.JSONDecodeError as exc:
                problems.append(("editor_flex", {"bubble": i + 1, "line": exc.lineno}))
                contents = None
            out.append({"type": "flex", "altText": get("alt"), "contents": contents})
    return out, problems


def seed(messages: list[dict], prefix: str) -> dict:
    """The editor's widget values for LINE message objects: the inverse of messages(), so a stored
    scenario's steps open in the editor as they were written. Only for editable() messages."""
    state = {f"{prefix}_count": max(1, min(5, len(messages)))}
    for i, message in enumerate(messages[:5]):
        kind = message.get("type")
        if kind == "text":
            state.update({_k(i, "kind", prefix): "text", _k(i, "text", prefix): message.get("text", "")})
        elif kind == "image":
            state.update({_k(i, "kind", prefix): "image", _k(i, "url", prefix): message.get("originalContentUrl", ""),
                          _k(i, "preview", prefix): message.get("previewImageUrl", "")})
        elif kind == "template" and (message.get("template") or {}).get("type") == "buttons":
            tpl = message["template"]
            links = "\n".join(f"{a.get('label', '')} | {a.get('uri', '')}" for a in tpl.get("actions", []))
            state.update({_k(i, "kind", prefix): "buttons", _k(i, "title", prefix): tpl.get("title", ""),
                          _k(i, "text", prefix): tpl.get("text", ""), _k(i, "links", prefix): links,
                          _k(i, "alt", prefix): message.get("altText", "")})
        else:
            state.update({_k(i, "kind", prefix): "flex", _k(i, "alt", prefix): message.get("altText", ""),
                          _k(i, "flex", prefix): json.dumps(message.get("contents"), ensure_ascii=False, indent=1)})
    return state


def editable(messages: list[dict]) -> bool:
    """Whether the editor has a form for every message (text, image, buttons, Flex): a sticker or a
    carousel from a scenario file is kept as it is, never rewritten into something else."""
    def one(m: dict) -> bool:
        return m.get("type") in ("text", "image", "flex") or \
            (m.get("type") == "template" and (m.get("template") or {}).get("type") == "buttons"
             and all(a.get("type") == "uri" for a in m["template"].get("actions", [])))
    return bool(messages) and len(messages) <= 5 and all(isinstance(m, dict) and one(m) for m in messages)


# ---- preview -----------------------------------------------------------------------------------

_CSS = """
<style>
.line-phone{width:360px;background:#8CABD9;border-radius:18px;padding:14px 10px;font-family:'Noto Sans CJK JP',
 'Hiragino Sans',sans-serif;font-size:14px;line-height:1.5}
.line-row{display:flex;align-items:flex-start;margin:8px 0}
.line-avatar{width:34px;height:34px;border-radius:50%;background:#06C755;color:#fff;font-weight:700;
 display:flex;align-items:center;justify-content:center;margin-right:6px;flex:none;font-size:13px}
.line-bubble{background:#fff;border-radius:16px;padding:8px 12px;max-width:250px;white-space:pre-wrap;
 word-break:break-word;color:#111}
.line-time{font-size:10px;color:#334;margin:0 0 2px 4px;align-self:flex-end}
.line-card{background:#fff;border-radius:14px;width:250px;overflow:hidden;color:#111}
.line-card .body{padding:10px 12px}.line-card .title{font-weight:700;margin-bottom:4px}
.line-card .btn{border-top:1px solid #e5e5e5;text-align:center;color:#2f6ad9;padding:8px}
.line-img{width:220px;min-height:120px;border-radius:14px;background:#dfe6ef;display:flex;align-items:center;
 justify-content:center;color:#556;font-size:12px;overflow:hidden}
.line-img img{width:100%;display:block}
.line-name{font-size:11px;color:#223;margin:0 0 2px 40px}
</style>
"""


def _bubble(message: dict, lang: str) -> str:
    kind = message.get("type")
    if kind == "text":
        return f'<div class="line-bubble">{html.escape(message.get("text") or "")}</div>'
    if kind == "image":
        url = html.escape(message.get("previewImageUrl") or "")
        return f'<div class="line-img"><img src="{url}" alt="{html.escape(t("cmp.kind.image", lang))}"></div>'
    if kind == "template":
        tpl = message.get("template") or {}
        title = f'<div class="title">{html.escape(tpl.get("title", ""))}</div>' if tpl.get("title") else ""
        buttons = "".join(f'<div class="btn">{html.escape(a.get("label", ""))}</div>' for a in tpl.get("actions", []))
        return (f'<div class="line-card"><div class="body">{title}{html.escape(tpl.get("text") or "")}</div>'
                f'{buttons}</div>')
    alt = html.escape(message.get("altText") or "")
    return (f'<div class="line-card"><div class="body"><div class="title">Flex</div>{alt}<br>'
            f'<small>{html.escape(t("cmp.flex_preview", lang))}</small></div></div>')


def preview_html(messages: list[dict], account: str, lang: str) -> str:
    rows = [f'<div class="line-name">{html.escape(account)}</div>']
    for message in messages:
        rows.append(f'<div class="line-row"><div class="line-avatar">{html.escape(account[:1])}</div>'
                    f'{_bubble(message, lang)}<div class="line-time">12:00</div></div>')
    return _CSS + '<div class="line-phone">' + "".join(rows) + "</div>"


def approvals_box(con, cur, user, lang: str, names: dict | None = None) -> None:
    """Sends waiting for a second person: each with its messages (as LINE will show them), its
    audience in words (`names`: the account's route and delivery names), audience size, cost and who asked; approve (then it goes out) or reject with a reason. The checks that
    count — role, not one's own send, unchanged since the request — are in dashboard/messaging/approvals.py."""
    from dashboard.messaging import actions as compose_actions, approvals
    from dashboard.access import roles
    from dashboard.core import config

    if user is None or not user.may("approve"):
        return
    waiting = approvals.pending(cur)
    if waiting.empty:
        return
    st.subheader(t("appr.title", lang, n=len(waiting)))
    for row in waiting.itertuples():
        with st.expander(t("appr.item", lang, title=row.title or row.delivery_id, n=f"{row.recipients:,}",
                           who=row.requested_by), expanded=True):
            when = row.scheduled_at
            st.caption(t("appr.detail", lang, yen=f"{float(row.cost_yen or 0):,.0f}", id=row.delivery_id,
                         at=t("cmp.now", lang) if when is None or when != when
                         else when.tz_convert(config.timezone()).strftime("%Y-%m-%d %H:%M")))
            kept = json.loads(row.plan_exclusions) if isinstance(row.plan_exclusions, str) else {}
            if kept.get("rule"):
                from dashboard.web import words_ui

                words_ui.show(kept["rule"], lang, names, key=f"appr_rule_{row.delivery_id}")
            st.html(preview_html(json.loads(row.messages), "LINE公式アカウント", lang))
            reason = st.text_input(t("appr.reason", lang), key=f"appr_reason_{row.delivery_id}")
            left, right = st.columns(2)
            try:
                if left.button(t("appr.approve", lang), key=f"appr_ok_{row.delivery_id}", type="primary"):
                    compose_actions.approve(con, cur, user, row.delivery_id)
                    st.success(t("appr.approved", lang))
                    st.rerun()
                if right.button(t("appr.reject", lang), key=f"appr_no_{row.delivery_id}"):
                    approvals.reject(cur, row.delivery_id, user, reason)
                    st.rerun()
            except (approvals.ApprovalError, roles.PermissionDenied) as exc:
                st.error(str(exc))


def plan_sections(plan, lang: str, checks_box, exact_box, cost_box) -> None:
    """Sections 4–6 of the page for a plan: the checks, the exact audience after each exclusion,
    and what the send costs (each figure with its definition)."""
    import pandas as pd

    from dashboard.core import config

    with checks_box:
        st.subheader(t("cmp.checks", lang))
        if not plan.checks:
            st.success(t("cmp.checks.ok", lang))
        for check in plan.checks:
            (st.error if check.level == "block" else st.warning)(check.text(lang))
        if plan.link_tracking:
            st.info(t(f"cmp.tracking.{plan.link_tracking}", lang, n=f"{plan.recipients:,}"))
    with exact_box:
        st.subheader(t("cmp.exact", lang))
        reason, count = t("cmp.reason", lang), t("cmp.recipients", lang)
        rows = [{reason: t("cmp.rule_members", lang), count: f"{plan.audience:,}"}]
        from dashboard.messaging.planning import exclusion_text

        rows += [{reason: exclusion_text(code, why, lang), count: f"−{removed:,}"} for code, removed, why in plan.exclusions]
        rows.append({reason: "= " + count, count: f"{plan.recipients:,}"})
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="cmp_exclusions")
        st.metric(count, f"{plan.recipients:,}", border=True)
    with cost_box:
        st.subheader(t("cmp.cost", lang))
        used, left, extra = st.columns(3)
        used.metric(t("cmp.messages_used", lang), f"{plan.recipients:,}", border=True)
        used.caption(t("cmp.messages_used.def", lang))
        left.metric(t("cmp.quota_left", lang),
                    t("cmp.unknown", lang) if plan.quota_left is None else f"{plan.quota_left:,}", border=True)
        left.caption(t("cmp.quota_left.def", lang))
        extra.metric(t("cmp.overage", lang), f"¥{plan.overage_yen:,.0f} ({plan.overage:,})", border=True)
        extra.caption(t("cmp.overage.def", lang, price=config.get("DASHBOARD_PRICE_PER_EXTRA_MESSAGE"),
                        plan=t(f"code.plan.{plan.plan_name}", lang)))


# ---- before an irreversible send (issue 19) -----------------------------------------------------

def audience_words(kind: str, segment_name: str | None, exclude_name: str | None, lang: str,
                   sentence: str | None = None) -> str:
    """Who the send goes to, in words: the segment's name (or all friends / the rule being built),
    the rule as a sentence (dashboard/web/words_ui.sentence) and the excluded segment when there is one."""
    who = (t("cmp.confirm.segment", lang, name=segment_name) if kind == "segment" and segment_name
           else t(f"cmp.audience.{kind}", lang))
    if sentence:
        who += f" — {sentence}"
    return who + (t("cmp.confirm.except", lang, name=exclude_name) if exclude_name else "")


def send_time_words(send_at, tz: str, lang: str) -> str:
    if send_at is None:
        return t("cmp.confirm.now", lang)
    from zoneinfo import ZoneInfo

    return t("cmp.confirm.scheduled", lang, at=send_at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M"),
             tz=tz)


def confirm_summary(plan, messages: list[dict], *, title: str | None, audience: str, send_at, tz: str,
                    lang: str) -> None:
    """What the confirm dialog shows before anything leaves: the delivery's title, the audience in
    words, the bubbles as LINE shows them, the count, the cost and when it goes out."""
    st.markdown(f"**{t('cmp.confirm.title', lang)}:** {title or t('cmp.confirm.untitled', lang)}")
    st.markdown(f"**{t('cmp.confirm.audience', lang)}:** {audience}")
    st.markdown(f"**{t('cmp.confirm.when', lang)}:** {send_time_words(send_at, tz, lang)}")
    n, cost = st.columns(2)
    n.metric(t("cmp.recipients", lang), f"{plan.recipients:,}", border=True)
    cost.metric(t("cmp.overage", lang), f"¥{plan.overage_yen:,.0f}", border=True)
    st.caption(t("cmp.dialog.body", lang, n=f"{plan.recipients:,}", bubbles=len(messages),
                 yen=f"{plan.overage_yen:,.0f}"))
    st.html(preview_html(messages, "LINE公式アカウント", lang).replace("width:360px", "width:300px"))


def test_quota_note(staff: int, quota_left: int | None, lang: str) -> str:
    """Said before a test send: it uses the monthly quota like any push."""
    left = t("cmp.unknown", lang) if quota_left is None else f"{quota_left:,}"
    return t("cmp.test_send.quota", lang, n=f"{staff:,}", left=left)


def progress(cur, delivery_id: str, lang: str) -> None:
    """A started send's progress, refreshed every second."""
    from dashboard.messaging import sending

    @st.fragment(run_every=1.0)
    def _progress() -> None:
        report = sending.progress(cur, delivery_id)
        done = report.sent + report.failed + report.skipped
        st.progress(done / report.planned if report.planned else 1.0, text=t("cmp.progress", lang))
        st.metric(t("cmp.status", lang), t(f"cmp.status.{report.status}", lang))
        st.write(t("cmp.report", lang, **report.__dict__))
        for reason, n in report.reasons.items():
            st.error(f"{n:,}: {reason}")
        if report.stop_reason:
            st.warning(report.stop_reason)

    _progress()
