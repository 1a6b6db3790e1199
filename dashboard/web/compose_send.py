"""The compose page's last steps: validate and test send, the confirm dialog before an irreversible
send, and the send's progress after it. Every write goes through dashboard/messaging/actions.py, which
checks the role, the count and the limits on the server whatever this page showed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from dashboard.access import roles
from dashboard.core import config
from dashboard.core.i18n import t
from dashboard.line import api
from dashboard.messaging import actions, approvals, sending
from dashboard.web import compose_ui, drafts_ui
from dashboard.web.widgets import refuse


@dataclass
class Send:
    """One send as the page composed it: what the confirm dialog shows and submits."""
    con: object
    cur: object
    user: roles.User | None
    plan: object                  # dashboard.messaging.planning.Plan
    messages: list[dict]
    delivery_id: str
    title: str | None
    send_at: dt.datetime | None
    segment_id: str | None
    promotion: bool
    audience: str                 # the audience in words (compose_ui.audience_words)
    tz: str
    lang: str

    @property
    def needs_approval(self) -> bool:
        # a second sender must approve a large or costly send on a shared server (messaging/approvals.py)
        return sending.approvals_apply() and approvals.needs_approval(self.plan.recipients, self.plan.overage_yen)


def validate_and_test(box, send: Send, clients, testers: list[str]) -> None:
    """Validate with LINE, and test send to staff (quota use said before the button)."""
    L = send.lang
    v, ts = box.columns(2)
    if v.button(t("cmp.validate", L), key="cmp_validate"):
        try:
            api.validate_multicast(clients, send.messages)
            v.success(t("cmp.validate.ok", L))
        except api.LineError as err:
            v.error(err.message + ("; " + sending.line_api_details(err) if err.details else ""))
    ts.caption(compose_ui.test_quota_note(len(testers), send.plan.quota_left, L))
    if ts.button(t("cmp.test_send", L), key="cmp_test", disabled=send.plan.blocked):
        try:
            report = actions.test_send(send.con, send.cur, send.user, testers, send.messages, clients)
            (ts.success if report.status == "sent" else ts.error)(
                f"{t('cmp.test_send.done', L)}: {report.status} — " + t("cmp.report", L, **report.__dict__))
        except actions.TestSendRefused as refused:
            for code, params in refused.problems:
                ts.error(t(f"staff.err.{code}", L, **params))
        except roles.PermissionDenied as exc:
            refuse(exc)


def _close_confirm() -> None:
    st.session_state["cmp_confirming"] = False


def _submit(send: Send) -> None:
    L = send.lang
    try:
        actions.submit(send.con, send.cur, send.user, send.plan, delivery_id=send.delivery_id,
                       messages=send.messages, title=send.title or None, segment_id=send.segment_id,
                       send_at=send.send_at, promotion=send.promotion, needs_approval=send.needs_approval)
    except actions.AudienceChanged as changed:  # friends changed since the count: confirm anew
        st.error(t("cmp.changed", L, n=f"{changed.now_counted:,}"))
        st.stop()
    except actions.CapOverrideRefused as refused:
        st.error(t(f"cmp.override.refused.{refused.code}", L))
        st.stop()
    except roles.PermissionDenied as exc:
        refuse(exc)
        st.stop()
    drafts_ui.sent(send.cur, send.user)
    st.session_state["cmp_started"] = send.delivery_id
    st.session_state["cmp_confirming"] = False
    st.rerun()


def _confirm_body(send: Send) -> None:
    plan, L = send.plan, send.lang
    compose_ui.confirm_summary(plan, send.messages, title=send.title, send_at=send.send_at, tz=send.tz, lang=L,
                               audience=send.audience)
    if plan.cap_override is not None:
        st.warning(t("cmp.override.line", L, reason=plan.cap_override or "—"))
    st.warning(t("cmp.dialog.recall", L))
    typed_ok = True
    if plan.recipients > config.get_int("DASHBOARD_CONFIRM_TYPE_ABOVE"):
        typed = st.text_input(t("cmp.dialog.type", L, n=f"{plan.recipients:,}"), key="cmp_typed")
        typed_ok = typed.replace(",", "").strip() == str(plan.recipients)
    label = t("cmp.dialog.ask_approval" if send.needs_approval else
              ("cmp.dialog.go_scheduled" if send.send_at else "cmp.dialog.go"), L)
    if send.needs_approval:
        st.info(t("cmp.approval.needed", L, n=f"{config.get_int('DASHBOARD_APPROVAL_RECIPIENTS'):,}",
                  yen=f"{config.get_int('DASHBOARD_APPROVAL_YEN'):,}"))
    go, cancel = st.columns(2)
    if cancel.button(t("cmp.confirm.cancel", L), key="cmp_cancel"):
        _close_confirm()
        st.rerun()
    if go.button(label, key="cmp_go", type="primary", disabled=not typed_ok):
        _submit(send)


def confirm_or_progress(send: Send) -> None:
    """Before the send: the confirm button and its dialog (open across reruns while cmp_confirming
    is set). After it: the send's progress, resume, and a new message."""
    L, cur = send.lang, send.cur
    started = st.session_state.get("cmp_started")
    if not started:
        if send.plan.blocked:
            st.error(t("cmp.blocked", L))
        may_send = send.user is not None and send.user.may("send")
        if not may_send:
            st.info(t("cmp.sender_only", L))
        if st.button(t("cmp.confirm", L), key="cmp_confirm", type="primary", disabled=send.plan.blocked or not may_send):
            st.session_state["cmp_confirming"] = True
        if st.session_state.get("cmp_confirming") and not send.plan.blocked:
            st.dialog(t("cmp.dialog", L), on_dismiss=_close_confirm)(_confirm_body)(send)
        return
    compose_ui.progress(cur, started, L)
    if sending.progress(cur, started).status in ("paused", "stopped") and st.button(t("cmp.resume", L), key="cmp_resume"):
        try:
            actions.resume(send.con, cur, send.user, started)
            st.rerun()
        except roles.PermissionDenied as exc:
            refuse(exc)
    if st.button(t("cmp.new", L), key="cmp_new"):
        st.session_state.pop("cmp_started", None)
        st.session_state["cmp_delivery_id"] = sending.new_delivery_id()
        st.rerun()
