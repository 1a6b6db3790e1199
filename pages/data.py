"""Data: how live the numbers are — webhook spool and loader, quarantine, CSV imports, LINE sync."""
import pandas as pd
import streamlit as st

from dashboard.intake import data_status, imports, loader, sync
from dashboard.intake.texts import say
from dashboard.web import health_ui, ui
from dashboard import worker
from dashboard.core.i18n import t

f = ui.context()  # checked and drawn by dashboard/web/navigation.py
health_ui.alerts_here(f, "data")  # issue 16: the warning signs about this page
L, tz = f.lang, f.period.tz
con = ui.connection(f)
cur = con.cursor()


def _status_word(state: str | None, lang: str) -> str:
    return t(f"data.sync.status.{state}", lang) if state in ("ok", "skipped", "failed", "paced") else (state or "—")


def jst(value, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    if value is None or value != value:
        return "—"
    return pd.Timestamp(value).tz_convert(tz).strftime(fmt)


# a failing background duty (issue 20) shows first; its table is at the end of the page
duties = pd.DataFrame(worker.status())
failing = duties[duties["state"] == "failing"]["duty"]
if len(failing):
    st.error(t("duty.failing", L, names="、".join(t(f"duty.name.{d}", L) for d in failing)))

# ---- webhook spool and loader -------------------------------------------------------------------
st.subheader(t("data.loader", L))
if ui.allowed("import") and st.button(t("data.load_now", L), key="data_load_now"):
    ui.require("import")
    result = loader.load_all(con)
    st.success(t("data.loaded", L, lines=f"{result.lines:,}", events=f"{result.loaded:,}",
                 dup=f"{result.duplicates:,}", bad=f"{result.quarantined:,}"))
state = data_status.spool_state(cur)
c1, c2, c3, c4 = st.columns(4)
c1.metric(t("data.behind", L), f"{state.bytes_behind:,} B", border=True)
c2.metric(t("data.lag", L), f"{state.lag_seconds():.0f} s", border=True)
c3.metric(t("data.last_load", L), jst(state.last_load, "%m-%d %H:%M:%S"), border=True)
per_minute = data_status.loads_per_minute(cur, 60)
c4.metric(t("data.per_minute", L), f"{data_status.events_per_minute(per_minute, 5):,.1f}", border=True)
ui.definition(t("data.loader.def", L))
if not per_minute.empty:  # naive JST times: the chart would otherwise show the browser's zone
    shown = per_minute.assign(minute=per_minute["minute"].dt.tz_convert(tz).dt.tz_localize(None))
    st.bar_chart(shown.set_index("minute")["events"], height=180, x_label=t("data.minute_jst", L),
                 y_label=t("data.events", L))

st.markdown("**" + t("data.quarantine", L) + "**")
if (refused := data_status.refused(cur)) is not None:  # issue 11: a round the database refused part of
    st.error(t("data.refused", L, n=f"{refused['refused']:,}", last=jst(refused["last_at"]),
               reason=refused["latest_reason"][:300]))
bad = data_status.quarantined(cur)
if bad.empty:
    st.caption(t("data.quarantine.none", L))
else:
    st.dataframe(bad.assign(quarantined_at=bad["quarantined_at"].map(jst)), hide_index=True, key="data_quarantine")

# ---- CSV imports ----------------------------------------------------------------------------------
st.subheader(t("data.imports", L))
ui.definition(t("data.imports.def", L))
if ui.allowed("import"):
    kind = st.selectbox(t("data.kind", L), imports.KINDS, key=ui.lang_key("data_kind", L),
                        format_func=lambda k: t(f"data.kind.{k}", L))
    upload = ui.file_uploader(t("data.file", L), ["csv", "txt", "tsv"], "data_file", L)
    strict = st.checkbox(t("data.strict", L), key="data_strict")
    left, right = st.columns(2)
    dry = left.button(t("data.dry_run", L), key="data_dry", disabled=upload is None)
    commit = right.button(t("data.commit", L), key="data_commit", type="primary", disabled=upload is None)
    if upload is not None and (dry or commit):
        who = ui.require("import")  # checked on the server, whatever the page showed
        report = imports.run_import(con, kind, upload.getvalue(), file_name=upload.name, dry_run=dry,
                                    actor=who.name, strict=strict)
        (st.error if report.status in ("rejected", "failed") else st.success)(
            t(f"data.import.{report.status}", L, ok=f"{report.rows_ok:,}", bad=f"{len(report.bad_rows):,}",
              ins=f"{report.inserted:,}", upd=f"{report.updated:,}", same=f"{report.unchanged:,}",
              enc=report.encoding or "?", message=say(report.message, L)))
        if report.status in ("committed", "dry_run") and report.kind in ("customers", "purchases"):
            st.info(t("data.import.linked", L, linked=f"{report.friends_linked:,}", unlinked=f"{report.unlinked:,}"))
        for warning in report.warnings:
            st.warning(t("data.import.warning", L, text=say(warning, L)))
        if report.bad_rows:
            st.dataframe(pd.DataFrame([(line, say(why, L)) for line, why in report.bad_rows],
                                      columns=[t("data.line", L), t("data.reason", L)]),
                         hide_index=True, key="data_bad_rows")
        if report.preview is not None and not report.preview.empty:
            st.dataframe(report.preview, hide_index=True, key="data_preview")
history = imports.history(cur)
if not history.empty:
    shown = history.assign(started_at=history["started_at"].map(jst))[
        ["started_at", "kind", "file_name", "status", "actor", "encoding", "rows_ok", "rows_bad", "inserted", "updated",
         "unchanged"]]
    st.dataframe(shown, hide_index=True, key="data_history",
                 column_config={c: t(f"data.h.{c}", L) for c in shown.columns})

# ---- LINE sync --------------------------------------------------------------------------------------
st.subheader(t("data.sync", L))
status = sync.status(cur)
b1, b2, b3 = st.columns(3)
b1.metric(t("data.insight_budget", L), f"{status['insight_budget_remaining']} / {status['insight_limit_per_hour']}",
          border=True)
b2.metric(t("data.budget_frees", L), jst(status["insight_budget_frees_at"]), border=True)
quota = status["quota"]
b3.metric(t("data.quota", L), "—" if quota is None else
          f"{quota['total_usage']:,} / {quota['value']:,}" if quota["value"] is not None else f"{quota['total_usage']:,} / ∞",
          border=True)
ui.definition(t("data.sync.def", L))
parts = pd.DataFrame([{"part": t(f"data.part.{p}", L), "status": _status_word((s or {}).get("status"), L),
                       "finished_at": jst((s or {}).get("finished_at")), "message": say((s or {}).get("message"), L)}
                      for p, s in status["parts"].items()])
st.dataframe(parts, hide_index=True, key="data_sync_parts",
             column_config={c: t(f"data.s.{c}", L) for c in parts.columns})
if ui.allowed("sync") and st.button(t("data.sync_now", L), key="data_sync_now"):
    ui.require("sync")
    with st.spinner(t("data.syncing", L)):
        st.session_state["data_sync_results"] = sync.run(con)
    st.rerun()   # the whole page (spool, quota, parts) shows the data the sync just wrote (issue 19, point 12)
for r in st.session_state.get("data_sync_results") or []:
    (st.error if r.status == "failed" else st.info)(t("data.sync.result", L, part=t(f"data.part.{r.part}", L),
                                                      status=_status_word(r.status, L), message=say(r.message, L)))

# ---- background duties (issue 20): each fails alone; state from this process's worker ----------
st.subheader(t("duty.title", L))
if not worker.running():
    st.caption(t("duty.not_running", L))
shown = duties.assign(duty=duties["duty"].map(lambda d: t(f"duty.name.{d}", L)),
                      state=duties["state"].map(lambda s: t(f"duty.state.{s}", L)),
                      last_error=duties["last_error"].fillna(""),
                      **{c: duties[c].map(lambda v: jst(v, "%m-%d %H:%M:%S"))
                         for c in ("last_success", "last_error_at", "next_try")})
shown = shown[["duty", "state", "last_success", "failures", "last_error", "last_error_at", "next_try"]]
st.dataframe(shown, hide_index=True, key="data_duties", column_config={c: t(f"duty.h.{c}", L) for c in shown.columns})
ui.definition(t("duty.def", L))
cur.close()
