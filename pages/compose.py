"""Compose and send: audience, messages, preview, checks, exact audience, cost, test, confirm, send."""
import datetime as dt
import json
from zoneinfo import ZoneInfo

import streamlit as st

from dashboard.web import account_ui, compose_ui, drafts_ui, segment_ui, ui
from dashboard.messaging import actions, approvals, planning, sending, staff
from dashboard.access import auth
from dashboard.core import config
from dashboard.line import api
from dashboard.audience import saved as segment_store
from dashboard.core.i18n import t

f = ui.context()  # checked and drawn by dashboard/web/navigation.py
L = f.lang
cur = ui.cursor(f.db)
con = ui.connection(f)
user = ui.user()
draft = st.session_state.setdefault("cmp_delivery_id", sending.new_delivery_id())
compose_ui.approvals_box(con, cur, user, L)  # sends waiting for a second person (senders see them)
account_ui.lost_answers_panel(f, key="cmp_lost")  # batches whose answer was lost
saved = segment_store.list_segments(cur)
names = dict(zip(saved["segment_id"], saved["name"]))
drafts_ui.restore(cur, user, list(names))   # the user's draft back after a reload or another page
drafts_ui.autosave(cur, user, L)            # what changed since the last run (issue 19, point 7)
drafts_ui.panel(cur, user, list(names), f.period.tz, L)

# ---- 1. audience ---------------------------------------------------------------------------
st.subheader(t("cmp.audience", L))
kinds = (["segment"] if names else []) + ["builder", "all"]
kind = st.radio(t("cmp.audience.kind", L), kinds, key="cmp_kind", horizontal=True,
                format_func=lambda k: t(f"cmp.audience.{k}", L))
segment_id = None
if kind == "segment":
    segment_id = st.selectbox(t("cmp.audience.segment", L), list(names), key="cmp_segment", format_func=names.get)
    rule = segment_store.get(cur, segment_id=segment_id)["rule"]
elif kind == "builder":
    rule = segment_ui.rule_json()
    st.code(json.dumps(rule["rule"], ensure_ascii=False), language="json")
else:
    rule = {"version": 1, "rule": {"field": "following", "value": True}}
left, right = st.columns(2)
exclude_id = left.selectbox(t("cmp.exclude_segment", L), ["", *names], key="cmp_exclude",
                            format_func=lambda s: names.get(s) or t("cmp.none", L)) or None
emails = right.text_area(t("cmp.emails", L), key="cmp_emails", height=68)
# test recipients only from the admin's staff list (dashboard/messaging/staff.py); the server checks again
crew = staff.members(cur)
crew_names = dict(zip(crew["user_id"], crew["label"].fillna("")))
testers = st.multiselect(t("staff.pick", L), list(crew_names), key="cmp_testers",
                         **{**ui.multi(L), "placeholder": t("staff.pick.none", L)},
                         format_func=lambda u: f"{crew_names[u]} ({u[:9]}…)" if crew_names[u] else u)

# ---- 2. messages and 3. preview ------------------------------------------------------------
edit, look = st.columns([3, 2])
with edit:
    st.subheader(t("cmp.messages", L))
    compose_ui.editor(L)
messages, editor_problems = compose_ui.messages()
with look:
    st.subheader(t("cmp.preview", L))
    st.html(compose_ui.preview_html(messages, "LINE公式アカウント", L))

# Sections 4–6 are drawn above the send-time choice but depend on it (quiet hours): reserve them.
checks_box, exact_box, cost_box, actions_box = st.container(), st.container(), st.container(), st.container()

# ---- when --------------------------------------------------------------------------------------
st.subheader(t("cmp.send", L))
when_kind = st.radio(t("cmp.when", L), ["now", "schedule"], key="cmp_when", horizontal=True,
                     format_func=lambda w: t(f"cmp.{w}", L))
send_at = None
if when_kind == "schedule":
    tz = ZoneInfo(f.period.tz)
    tomorrow = dt.datetime.now(tz).date() + dt.timedelta(days=1)
    d, h = st.columns(2)
    day = d.date_input(t("cmp.date", L), value=tomorrow, key="cmp_date")
    at = h.time_input(t("cmp.time", L), value=dt.time(12, 0), key="cmp_time")
    send_at = dt.datetime.combine(day, at, tz)

# ---- 4. checks, 5. exact audience, 6. cost ---------------------------------------------------
hashes = [planning.email_hash(line) for line in emails.splitlines() if "@" in line]
exclude_rule = segment_store.get(cur, segment_id=exclude_id)["rule"] if exclude_id else None
try:
    clients = ui.line_clients()
except api.LineError as err:  # e.g. a remote LINE_API_BASE_URL without a token: refuse, say why
    st.error(err.message)
    st.stop()
override = (st.text_input(t("cmp.override.reason", L), key="cmp_override_reason")  # checked in messaging/actions
            if ui.allowed("send") and st.checkbox(t("cmp.override", L), key="cmp_override") else None)
try:
    plan = planning.plan_send(cur, rule, messages, clients=clients, exclude_rule=exclude_rule,
                             email_hashes=hashes or None, send_at=send_at, cap_override=override)
except Exception as exc:  # an invalid rule from the Segments page, say: show why, send nothing
    st.error(str(exc))
    st.stop()
for problem in editor_problems:
    plan.checks.insert(0, planning.Check("block", *problem))

compose_ui.plan_sections(plan, L, checks_box, exact_box, cost_box)

v, ts = actions_box.columns(2)
if v.button(t("cmp.validate", L), key="cmp_validate"):
    try:
        api.validate_multicast(clients, messages)
        v.success(t("cmp.validate.ok", L))
    except api.LineError as err:
        v.error(err.message + ("; " + sending.line_api_details(err) if err.details else ""))
ts.caption(compose_ui.test_quota_note(len(testers), plan.quota_left, L))
if ts.button(t("cmp.test_send", L), key="cmp_test", disabled=plan.blocked):
    try:
        report = actions.test_send(con, cur, user, testers, messages, clients)
        (ts.success if report.status == "sent" else ts.error)(
            f"{t('cmp.test_send.done', L)}: {report.status} — " + t("cmp.report", L, **report.__dict__))
    except actions.TestSendRefused as refused:
        for code, params in refused.problems:
            ts.error(t(f"staff.err.{code}", L, **params))
    except auth.PermissionDenied as exc:
        ui.refuse(exc)

title = st.text_input(t("cmp.delivery_title", L), key="cmp_title")
promotion = st.checkbox(t("cmp.promotion", L), key="cmp_promotion")
threshold = config.get_int("DASHBOARD_CONFIRM_TYPE_ABOVE")
# a second sender must approve a large or costly send on a shared server (dashboard/messaging/approvals.py)
needs_approval = sending.approvals_apply() and approvals.needs_approval(plan.recipients, plan.overage_yen)


def _close_confirm() -> None:
    st.session_state["cmp_confirming"] = False


# The dialog stays open across reruns while cmp_confirming is set (closing it clears the flag).
@st.dialog(t("cmp.dialog", L), on_dismiss=_close_confirm)
def confirm() -> None:
    compose_ui.confirm_summary(plan, messages, title=title, send_at=send_at, tz=f.period.tz, lang=L,
                               audience=compose_ui.audience_words(kind, names.get(segment_id), names.get(exclude_id), L))
    if plan.cap_override is not None:
        st.warning(t("cmp.override.line", L, reason=plan.cap_override or "—"))
    st.warning(t("cmp.dialog.recall", L))
    typed_ok = True
    if plan.recipients > threshold:
        typed = st.text_input(t("cmp.dialog.type", L, n=f"{plan.recipients:,}"), key="cmp_typed")
        typed_ok = typed.replace(",", "").strip() == str(plan.recipients)
    label = t("cmp.dialog.ask_approval" if needs_approval else
              ("cmp.dialog.go_scheduled" if send_at else "cmp.dialog.go"), L)
    if needs_approval:
        st.info(t("cmp.approval.needed", L, n=f"{config.get_int('DASHBOARD_APPROVAL_RECIPIENTS'):,}",
                  yen=f"{config.get_int('DASHBOARD_APPROVAL_YEN'):,}"))
    go, cancel = st.columns(2)
    if cancel.button(t("cmp.confirm.cancel", L), key="cmp_cancel"):
        _close_confirm()
        st.rerun()
    if go.button(label, key="cmp_go", type="primary", disabled=not typed_ok):
        try:
            actions.submit(con, cur, user, plan, delivery_id=draft, messages=messages, title=title or None,
                                   segment_id=segment_id, send_at=send_at, promotion=promotion,
                                   needs_approval=needs_approval)
        except actions.AudienceChanged as changed:  # friends changed since the count: confirm anew
            st.error(t("cmp.changed", L, n=f"{changed.now_counted:,}"))
            st.stop()
        except actions.CapOverrideRefused as refused:
            st.error(t(f"cmp.override.refused.{refused.code}", L))
            st.stop()
        except auth.PermissionDenied as exc:
            ui.refuse(exc)
            st.stop()
        drafts_ui.sent(cur, user)
        st.session_state["cmp_started"] = draft
        st.session_state["cmp_confirming"] = False
        st.rerun()


started = st.session_state.get("cmp_started")
if not started:
    if plan.blocked:
        st.error(t("cmp.blocked", L))
    may_send = user.may("send")
    if not may_send:
        st.info(t("cmp.sender_only", L))
    if st.button(t("cmp.confirm", L), key="cmp_confirm", type="primary", disabled=plan.blocked or not may_send):
        st.session_state["cmp_confirming"] = True
    if st.session_state.get("cmp_confirming") and not plan.blocked:
        confirm()
else:
    compose_ui.progress(cur, started, L)
    if sending.progress(cur, started).status in ("paused", "stopped") and st.button(t("cmp.resume", L), key="cmp_resume"):
        try:
            actions.resume(con, cur, user, started)
            st.rerun()
        except auth.PermissionDenied as exc:
            ui.refuse(exc)
    if st.button(t("cmp.new", L), key="cmp_new"):
        st.session_state.pop("cmp_started", None)
        st.session_state["cmp_delivery_id"] = sending.new_delivery_id()
        st.rerun()
