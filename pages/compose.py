"""Compose and send: audience, messages, preview, checks, exact audience, cost, test, confirm, send."""
import datetime as dt
from zoneinfo import ZoneInfo

import streamlit as st

from dashboard.web import account_ui, compose_send, compose_ui, drafts_ui, segment_ui, ui, words_ui, send_time_ui
from dashboard.messaging import planning, sending, staff
from dashboard.line import api
from dashboard.audience import rules, saved as segment_store
from dashboard.core.i18n import t

f = ui.context()  # checked and drawn by dashboard/web/navigation.py
L = f.lang
cur = ui.cursor(f.db)
con = ui.connection(f)
user = ui.user()
draft = st.session_state.setdefault("cmp_delivery_id", sending.new_delivery_id())
names_of = words_ui.labels(f)  # routes and delivery titles: a rule is shown in words
compose_ui.approvals_box(con, cur, user, L, names_of)  # sends waiting for a second person (senders see them)
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
else:
    rule = {"version": 1, "rule": {"field": "following", "value": True}}
words_ui.show(rule, L, names_of, key="cmp_rule_json")
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
send_time_ui.compose_panel(f, None if kind == "all" else rule, L)   # when this audience reacts best
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
except (rules.RuleError, segment_store.SegmentStoreError) as exc:  # e.g. an invalid rule: say why, send nothing
    st.error(exc.text(L))
    st.stop()
for problem in editor_problems:
    plan.checks.insert(0, planning.Check("block", *problem))

compose_ui.plan_sections(plan, L, checks_box, exact_box, cost_box)

title = st.text_input(t("cmp.delivery_title", L), key="cmp_title")
promotion = st.checkbox(t("cmp.promotion", L), key="cmp_promotion")
send = compose_send.Send(con, cur, user, plan, messages, draft, title, send_at, segment_id, promotion,
                         compose_ui.audience_words(kind, names.get(segment_id), names.get(exclude_id), L,
                                                   words_ui.sentence(rule, L, names_of)),
                         f.period.tz, L)
compose_send.validate_and_test(actions_box, send, clients, testers)
compose_send.confirm_or_progress(send)
