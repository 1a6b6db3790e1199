"""The send engine: plan -> ledger -> batches -> LINE, resumable, never twice.

1. plan(): one deliveries row and one delivery_recipients row per recipient, with its batch number
   and the batch's retry key (a UUID), all in one transaction, before any API call.
2. run(): each batch of at most 500 goes out by multicast with X-Line-Retry-Key and the delivery's
   customAggregationUnits name. 2xx and 409 (key already accepted) mark the batch sent; 429 rate
   limits, 5xx, time-outs and network errors back off exponentially with jitter and retry with the
   same key; 429 "monthly limit" stops the send cleanly, leaving the rest planned; other 4xx fail
   the batch with LINE's reason (and stop, when the reason is the messages themselves). A 400 about
   the recipients splits the batch instead (_split): the IDs LINE names go alone, or the batch is
   halved, each part a new batch with a new retry key written before it is sent; a single refused
   recipient fails with LINE's reason, and everyone else is sent once (a 400 accepts nobody).
   A step of a scenario may carry a reply token per recipient (dashboard/scenarios): that batch of
   one answers the follow event by reply (free: no quota) while the token is valid, and goes by
   push with the batch's retry key otherwise (_Reply says how a crash between the two is settled).
3. A crash or restart resumes from the ledger: planned rows go out again with their stored keys,
   and LINE (or the sandbox) answers 409 for any batch it had already accepted. Within a process a
   registry lets only one runner work on a delivery; the DuckDB file admits one writing process.
Only this module calls LINE's send endpoints.
"""
from __future__ import annotations

import datetime as dt
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field

import pandas as pd

from dashboard.audience import rules
from dashboard.core import queries, storage
from dashboard.messaging import approvals, links
from dashboard.line import api

_QUERIES = ("planned_count", "plan_batches", "plan_size", "insert_delivery", "insert_ledger", "drop_plan_recipients",
            "delivery_progress", "ledger_by_status", "failure_reasons", "planned_batches", "next_planned_batch",
            "mark_batch", "finish_delivery", "next_batch_no", "split_batch", "mark_attempted", "mark_first_sent",
            "fail_rest", "release", "delivery_status", "delivery_to_send", "scheduled_due", "mark_sending",
            "unknown_count", "resumable", "reply_token", "reply_of_batch", "mark_via", "reply_count",
            "mark_attempted_range", "mark_batches_sent")
queries.require(*(f"sending/{name}" for name in _QUERIES))


def _q(cur, name: str, **params):
    """Run queries/sending/<name>.sql with the parameters it uses; returns the cursor for fetching."""
    wanted = queries.parameters(f"sending/{name}")
    return cur.execute(queries.sql(f"sending/{name}"), {k: v for k, v in params.items() if k in wanted})

BATCH = 500
MAX_REQUESTS_PER_SECOND = 200      # LINE's multicast limit
MAX_ATTEMPTS = 12                  # per batch and run; then the delivery pauses (resume later)
KEY_SAFE_HOURS = 23                # LINE forgets a retry key after 24 h: never resend with an older one
BACKOFF_BASE_S = 0.2
BACKOFF_CAP_S = 10.0
CHUNK_BATCHES = 200                # batches read from the ledger at a time: memory stays flat
IN_FLIGHT = 24                     # a delivery's batches on the wire at once (see _send_all)
UNKNOWN_REASON = ("sent more than 23 h ago with no answer recorded; LINE forgets retry keys after 24 h: "
                  "check the recipients before sending to them again")

_running: set[str] = set()
_running_lock = threading.Lock()


class SendError(RuntimeError):
    pass


@dataclass
class Report:
    delivery_id: str
    status: str
    planned: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    pending: int = 0
    reasons: dict = field(default_factory=dict)   # failure reason -> recipients
    stop_reason: str | None = None


# kinds sent by push, one recipient per request: a test, and one message to one friend (friend page)
PUSH_KINDS = ("test", "single")


def aggregation_unit(delivery_id: str) -> str:
    """customAggregationUnits name: at most 30 characters of [A-Za-z0-9_]."""
    return ("d_" + "".join(ch for ch in delivery_id if ch.isalnum()))[:30]


def new_delivery_id() -> str:
    return "dlv_" + uuid.uuid4().hex[:16]


def plan(con, *, delivery_id: str, user_ids: list[str] | None = None, source: rules.Compiled | tuple | None = None,
         messages: list[dict], kind: str = "multicast", title: str | None = None, segment_id: str | None = None,
         created_by: str = "local", scheduled_at: dt.datetime | None = None, is_promotion: bool = False,
         status: str = "planned", link_tracking: str | None = None, cost_yen: float | None = None,
         exclusions: dict | None = None, batch_size: int | None = None, also=None,
         user_keys: list | None = None) -> int:
    """Write the delivery and its ledger in one transaction; returns the number of recipients.

    Recipients come from `user_ids`, or from `source`: the compiled audience query the plan counted
    (dashboard.audience.running.recipients; a (SQL, parameters) pair is taken as one such query),
    materialised as it is — the recipients never pass through Python, and memory stays flat in the
    audience size. Planning the same delivery_id twice (a double click, a second tab) changes
    nothing and returns the existing size. `exclusions` ({"audience": n, "exclusions": [[code, removed,
    params], …]}) is kept with the delivery for its detail view. `batch_size` overrides the batching (a
    scenario's reply step plans batches of one); `also(cur)` runs inside the plan's transaction, after
    the ledger is written — a scenario moves its friends to their next step in the same commit, so a
    crash either planned the step and moved them on, or did neither. `user_keys` (beside `user_ids`)
    spares the ledger looking the recipients up among all friends."""
    import json

    if (user_ids is None) == (source is None):
        raise SendError("plan() needs either user_ids or source")
    if isinstance(source, tuple):
        source = rules.source(*source)
    cur = con.cursor()
    try:
        existing = _q(cur, "planned_count", id=delivery_id).fetchone()
        if existing:
            return existing[0]
        # per-user tracked links need one body per recipient (dashboard/messaging/links.py)
        batch_size = batch_size or (1 if kind in PUSH_KINDS or kind == "reply" or link_tracking == "per_user"
                                    else BATCH)
        with storage.transaction(cur):
            if user_ids is not None:
                keys = dict(zip(user_ids, user_keys)) if user_keys is not None else dict.fromkeys(user_ids)
                cur.register("plan_audience", pd.DataFrame({"user_id": list(keys),
                                                            "user_key": pd.array(list(keys.values()), dtype="Int32")}))
            else:  # the very query the plan counted, into the temp table plan_audience
                cur.execute(*source.into("plan_audience"))
            # one row per recipient, numbered in user_id order into batches; one UUID retry key per batch
            _q(cur, "plan_batches", plan_batch_size=batch_size)
            count = _q(cur, "plan_size").fetchone()[0]
            _q(cur, "insert_delivery", id=delivery_id, kind=kind, title=title, promo=is_promotion, seg=segment_id,
               messages=json.dumps(messages, ensure_ascii=False), status=status, n=count,
               unit=aggregation_unit(delivery_id), by=created_by, at=scheduled_at, tracking=link_tracking,
               cost=cost_yen, exclusions=None if exclusions is None else json.dumps(exclusions, ensure_ascii=False,
                                                                                      default=str))
            _q(cur, "insert_ledger", id=delivery_id)
            _q(cur, "drop_plan_recipients")
            if also is not None:
                also(cur)
            if user_ids is not None:
                cur.unregister("plan_audience")
            else:
                cur.execute(*rules.drop("plan_audience"))
        return count
    finally:
        cur.close()


def progress(cur, delivery_id: str) -> Report:
    row = _q(cur, "delivery_progress", id=delivery_id).fetchone()
    if row is None:
        raise SendError(f"no delivery {delivery_id}")
    counts = dict(_q(cur, "ledger_by_status", id=delivery_id).fetchall())
    reasons = dict(_q(cur, "failure_reasons", id=delivery_id).fetchall())
    stop = row[2]
    return Report(delivery_id, row[0], planned=row[1], sent=counts.get("sent", 0), failed=counts.get("failed", 0),
                  skipped=counts.get("skipped", 0), pending=counts.get("planned", 0), reasons=reasons,
                  stop_reason=stop)


class _Pacer:
    """At most `rate` requests per second (LINE's 200/s for multicast, per channel): one pacer for
    the whole process, so two deliveries sending at once share the budget."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate
        self.next_at = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            slot = max(now, self.next_at)
            self.next_at = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


_PACERS: dict[float, _Pacer] = {}


def _pacer(rate: float) -> _Pacer:
    with _running_lock:
        return _PACERS.setdefault(rate, _Pacer(rate))


def _backoff(attempt: int) -> float:
    return min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** attempt) * random.uniform(0.5, 1.5)


def _batches(cur, delivery_id: str):
    """Planned batches in order, CHUNK_BATCHES at a time."""
    after = -1
    while True:
        rows = _q(cur, "planned_batches", id=delivery_id, after=after, chunk=CHUNK_BATCHES).fetchall()
        if not rows:
            more = _q(cur, "next_planned_batch", id=delivery_id, after=after).fetchone()[0]
            if more is None:
                return
            after = more - 1
            continue
        yield from rows
        after = rows[-1][0]


def _mark(cur, delivery_id: str, batch_no: int, status: str, request_id: str | None = None,
          error: str | None = None) -> None:
    _q(cur, "mark_batch", status=status, rid=request_id, error=error, id=delivery_id, batch=batch_no)


def _finish(cur, delivery_id: str, status: str, error: str | None = None) -> None:
    _q(cur, "finish_delivery", id=delivery_id, status=status, error=error)



def _expired(attempted_at) -> bool:
    return attempted_at is not None and \
        attempted_at < dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=KEY_SAFE_HOURS)


def _recipient_problem(err: api.LineError) -> bool:
    """LINE refused the request for its recipients, not its messages or unit name: splitting the
    batch can isolate the recipients it refuses (a 400 accepts nobody, so nobody gets it twice)."""
    if err.status != 400:
        return False
    props = [str(d.get("property", "")) for d in err.details]
    return not any(p.startswith(("messages", "customAggregationUnits")) for p in props)


def _named_recipients(err: api.LineError, users: list[str]) -> list[str]:
    """The recipients LINE's details name as `to[n]` (indices into the request's `to`)."""
    named = []
    for detail in err.details:
        m = re.fullmatch(r"to\[(\d+)\]", str(detail.get("property", "")))
        if m and int(m.group(1)) < len(users):
            named.append(users[int(m.group(1))])
    return list(dict.fromkeys(named))


def _split(cur, delivery_id: str, batch_no: int, users: list[str], err: api.LineError) -> int:
    """Replace a refused batch by smaller ones, each with a new batch number and its own new retry
    key written to the ledger now, before any of them is sent: the recipients LINE named, one per
    batch, and the rest together; without names, the two halves (bisection). The new batches are
    numbered after the last one, so the running send (or a resume) takes them up. Returns how many."""
    named = set(_named_recipients(err, users))
    halves = [users[:len(users) // 2], users[len(users) // 2:]]
    groups = [[u] for u in users if u in named] + [[u for u in users if u not in named]] if named else halves
    groups = [g for g in groups if g]
    if len(groups) < 2:
        groups = halves
    first = _q(cur, "next_batch_no", id=delivery_id).fetchone()[0]
    note = f"split from batch {batch_no} after LINE's 400: {err.message}"[:500]
    with storage.transaction(cur):
        for n, group in enumerate(groups):
            _q(cur, "split_batch", new=first + n, key=str(uuid.uuid4()), note=note, id=delivery_id, old=batch_no,
               users=group)
    return len(groups)


class _Sender:
    """Sends one batch at a time for run(): retries with the same key, splits a batch whose
    recipients LINE refuses, and says when the whole delivery must stop ((status, reason) or None)."""

    def __init__(self, cur, clients, delivery_id, messages, unit, kind, tracking, pacer):
        self.cur, self.clients, self.delivery_id = cur, clients, delivery_id
        self.messages, self.unit, self.kind, self.tracking, self.pacer = messages, unit, kind, tracking, pacer
        self.first_accepted = True
        self.replies = kind == "step" and _q(cur, "reply_count", id=delivery_id).fetchone()[0] > 0
        self.push_only = False
        self.split = False    # set when a refused batch was split into new ones (_send_all goes again)

    def batch(self, batch_no: int, retry_key: str, users: list[str], attempted_at) -> tuple[str, str] | None:
        cur, delivery_id = self.cur, self.delivery_id
        self.push_only = False
        if self.replies:
            row = _q(cur, "reply_of_batch", id=delivery_id, batch=batch_no).fetchone()
            if row is not None and row[0]:
                outcome = _Reply(self, batch_no, users[0], *row).send(attempted_at)
                if outcome is not None:
                    status, detail = outcome
                    if status == "sent":
                        self._accepted(batch_no, detail)
                    else:
                        _mark(cur, delivery_id, batch_no, "unknown", error=detail)
                    return None
                # never answered by reply: push with the batch's retry key (the 24 h clock starts now)
                self.push_only = True
                _q(cur, "mark_via", id=delivery_id, batch=batch_no, via="push")
                attempted_at = attempted_at if row[2] == "push" else None
        if _expired(attempted_at):
            # tried over a day ago with no answer recorded: LINE may have accepted it and has
            # forgotten the key, so resending could deliver twice. Leave it to the operator.
            _mark(cur, delivery_id, batch_no, "unknown", error=UNKNOWN_REASON)
            return None
        if attempted_at is None:  # recorded before the first call: the 24 h clock of the key
            _q(cur, "mark_attempted", id=delivery_id, batch=batch_no)
        request_id, err, retried = self.attempt(retry_key, users)
        if err is None:
            self._accepted(batch_no, request_id)
            return None
        if self.kind == "reply" and err.kind == "bad_request" and (attempted_at is not None or retried):
            # a reply token works once: refused after a try whose answer was lost means LINE may
            # well have delivered it. Unknown, never failed (which would invite sending it again).
            _mark(cur, delivery_id, batch_no, "unknown", error=REPLY_UNKNOWN)
            return None
        return self._refused(batch_no, users, err)

    def attempt(self, retry_key: str, users: list[str]) -> tuple[str | None, api.LineError | None, int]:
        """Call LINE until it answers: a 429 rate limit, 5xx, time-out or network error backs off and
        goes again with the same retry key. (request id, None, retries) or (None, LINE's final
        refusal, retries). Touches no ledger (but for a reply's token), so batches run it in threads."""
        retried = 0
        while True:
            self.pacer.wait()
            try:
                return self._call(retry_key, users), None, retried
            except api.LineError as err:
                if err.retryable and retried + 1 < MAX_ATTEMPTS:
                    retried += 1
                    time.sleep(_backoff(retried))
                    continue
                return None, err, retried

    def accepted_many(self, answers: list[tuple[int, str | None]]) -> None:
        """Batches LINE accepted, (batch_no, request id) each, written in one statement."""
        if not answers:
            return
        self.cur.register("accepted", pd.DataFrame({"batch_no": pd.array([a[0] for a in answers], dtype="int32"),
                                                    "request_id": [a[1] for a in answers]}))
        try:
            _q(self.cur, "mark_batches_sent", id=self.delivery_id, lo=min(a[0] for a in answers),
               hi=max(a[0] for a in answers))
        finally:
            self.cur.unregister("accepted")
        if self.first_accepted:
            _q(self.cur, "mark_first_sent", id=self.delivery_id)
            self.first_accepted = False

    def _accepted(self, batch_no: int, request_id: str | None) -> None:
        _mark(self.cur, self.delivery_id, batch_no, "sent", request_id)
        if self.first_accepted:  # the delivery counts as sent from its first accepted batch
            _q(self.cur, "mark_first_sent", id=self.delivery_id)
            self.first_accepted = False

    def _call(self, retry_key: str, users: list[str]) -> str:
        body = self.messages
        if self.tracking:  # the same tokens on every retry: the body never changes
            body = links.rewrite(self.messages, self.delivery_id, users[0] if self.tracking == "per_user" else "")
        if self.kind == "reply":   # the friend's token, looked up now: it lives one minute and works once
            row = _q(self.cur, "reply_token", user_id=users[0], now=dt.datetime.now(dt.timezone.utc)).fetchone()
            if row is None:
                raise api.LineError("bad_request", None, "the reply token has expired (over a minute) or was used")
            return api.reply(self.clients, row[0], body)
        if self.kind in PUSH_KINDS or self.push_only:
            return api.push(self.clients, users[0], body, retry_key)
        return api.multicast(self.clients, users, body, retry_key, self.unit)

    def _refused(self, batch_no: int, users: list[str], err: api.LineError) -> tuple[str, str] | None:
        cur, delivery_id = self.cur, self.delivery_id
        if err.retryable:
            return ("paused", f"LINE kept failing ({err.kind} {err.status}): {err.message}; resume later")
        if err.kind == "monthly_limit":
            return ("stopped", f"monthly limit reached: {err.message}")
        if err.kind == "auth":
            return ("paused", f"LINE refused the access token ({err.status}): {err.message}")
        if self.kind != "test" and len(users) > 1 and _recipient_problem(err):
            _split(cur, delivery_id, batch_no, users, err)
            self.split = True   # new batches, numbered after the last: _send_all takes them up
            return None
        # bad request: this batch fails with LINE's reason
        reason = err.message + (f" ({line_api_details(err)})" if err.details else "")
        _mark(cur, delivery_id, batch_no, "failed", err.request_id, reason[:500])
        if self.kind != "test" and any("messages" in str(d.get("property", "")) for d in err.details):
            # the messages are wrong: every other batch would fail too
            _q(cur, "fail_rest", e=reason[:500], id=delivery_id)
            return ("failed", reason)
        return None


REPLY_MARGIN_S = 5      # a reply token is used only while more than this is left of its minute
REPLY_UNKNOWN = ("a reply was sent with this friend's reply token and its answer was not recorded; the token "
                 "has expired since, so whether LINE delivered it cannot be known: check before sending again")


class _Reply:
    """One recipient's step by reply token. A reply takes no retry key, but a token is single-use:
    after an attempt whose answer was lost (a crash, a 5xx, a time-out), LINE's 400 "Invalid reply
    token" within the token's minute means our earlier attempt was accepted. So: a clean 400 on the
    first try -> push instead; a 400 after an unanswered try -> sent; the minute over after an
    unanswered try -> unknown (never pushed: it may have arrived). A batch pushed once never replies."""

    def __init__(self, sender: _Sender, batch_no: int, user: str, token: str, expires_at, via: str | None):
        self.s, self.batch_no, self.user, self.token, self.expires_at, self.via = sender, batch_no, user, token, expires_at, via

    def _valid(self) -> bool:
        left = (self.expires_at - dt.datetime.now(dt.timezone.utc)).total_seconds() if self.expires_at else -1
        return left > REPLY_MARGIN_S

    def send(self, attempted_at) -> tuple[str, str | None] | None:
        """("sent", request id), ("unknown", reason), or None: push it instead."""
        s = self.s
        if self.via == "push":
            return None
        unanswered = attempted_at is not None and self.via == "reply"
        attempt = 0
        while self._valid():
            _q(s.cur, "mark_via", id=s.delivery_id, batch=self.batch_no, via="reply")
            if attempted_at is None:
                _q(s.cur, "mark_attempted", id=s.delivery_id, batch=self.batch_no)
                attempted_at = True
            s.pacer.wait()
            try:
                return "sent", api.reply(s.clients, self.token, s.messages)
            except api.LineError as err:
                if err.status == 400 and not any("messages" in str(d.get("property", "")) for d in err.details):
                    return ("sent", "reply-accepted-earlier") if unanswered else None
                if not err.retryable or attempt + 1 >= MAX_ATTEMPTS:
                    return None if not unanswered else ("unknown", REPLY_UNKNOWN)
                unanswered = True
                attempt += 1
                time.sleep(_backoff(attempt))
        return ("unknown", REPLY_UNKNOWN) if unanswered else None


def approvals_apply() -> bool:
    """Two-person approval applies on a shared server (log-in configured). Without log-in the
    dashboard serves only its single local user on loopback: there is no second person."""
    from dashboard.access import sessions
    return sessions.login_configured()


def release(con, delivery_id: str) -> str:
    """After an approval: the delivery leaves awaiting_approval for planned (or scheduled when its
    time is still ahead); the worker or the caller then sends it. Returns the new status."""
    cur = con.cursor()
    try:
        _q(cur, "release", id=delivery_id)
        return _q(cur, "delivery_status", id=delivery_id).fetchone()[0]
    finally:
        cur.close()


def _one_by_one(send: _Sender, on_batch) -> tuple[str, str] | None:
    """Each batch called and answered before the next: a delivery that answers by reply tokens
    (each token read from the ledger at the moment of its call, and single-use)."""
    for batch_no, retry_key, users, attempted_at in _batches(send.cur, send.delivery_id):
        stop = send.batch(batch_no, retry_key, users, attempted_at)
        on_batch(batch_no)
        if stop:
            return stop
    return None


def _groups(send: _Sender):
    """The planned batches in groups: the first alone (a wrong message or token fails once, not
    IN_FLIGHT times), then IN_FLIGHT at a time."""
    group, size = [], 1
    for row in _batches(send.cur, send.delivery_id):
        group.append(row)
        if len(group) == size:
            yield group
            group, size = [], IN_FLIGHT
    if group:
        yield group


def _send_all(send: _Sender, on_batch) -> tuple[str, str] | None:
    """Every planned batch, in groups whose calls run in threads while the ledger is written for the
    group before: one batch's round trip (and its two ledger writes, 30–45 ms each at a large
    ledger) would hold a delivery near 10 requests/s; on the wire together they reach the pacer's
    200/s. The ledger order per batch is unchanged — the first attempt is written before its call,
    its answer after — so a crash anywhere resumes as before: planned batches go again with their
    keys and LINE answers 409 for those it had accepted. Only this thread writes the ledger."""
    from concurrent.futures import ThreadPoolExecutor

    if send.replies or send.kind == "reply":
        return _one_by_one(send, on_batch)
    with ThreadPoolExecutor(max_workers=2 * IN_FLIGHT, thread_name_prefix=f"send-{send.delivery_id}") as pool:
        while True:   # again while a pass split refused batches into new ones it had read past
            send.split = False
            stop = _one_pass(send, pool, on_batch)
            if stop or not send.split:
                return stop


def _one_pass(send: _Sender, pool, on_batch) -> tuple[str, str] | None:
    stop, before = None, None
    for n, group in enumerate(_groups(send)):
        calls = _start(send, pool, group)
        if before is not None:   # the previous group's answers while this one is on the wire
            stop = _settle(send, *before, on_batch)
        before = (group, calls)
        if n == 0:   # the first batch is answered before anything else goes out
            stop, before = _settle(send, *before, on_batch), None
        if stop:
            break
    if before is not None:   # on the wire when the loop ended (or stopped): its answers count
        last = _settle(send, *before, on_batch)
        stop = stop or last
    return stop


def _start(send: _Sender, pool, group) -> list:
    """A group's calls on their way, after their first attempt is in the ledger."""
    live = []
    for row in group:
        if _expired(row[3]):   # tried over a day ago, no answer: never resent (see _Sender.batch)
            _mark(send.cur, send.delivery_id, row[0], "unknown", error=UNKNOWN_REASON)
        else:
            live.append(row)
    fresh = [row[0] for row in live if row[3] is None]
    if fresh:
        _q(send.cur, "mark_attempted_range", id=send.delivery_id, lo=fresh[0], hi=fresh[-1])
    return [(row, pool.submit(send.attempt, row[1], row[2])) for row in live]


def _settle(send: _Sender, group, calls, on_batch) -> tuple[str, str] | None:
    """Write a group's answers: the accepted batches in one statement first (a refusal of the
    messages then fails only what is still planned), then each refusal in batch order; after a stop
    the group's other refusals stay planned for the resume."""
    answers = [(row, future.result()) for row, future in calls]
    send.accepted_many([(row[0], rid) for row, (rid, err, _) in answers if err is None])
    stop = None
    for row, (_, err, _) in answers:
        if err is not None and stop is None:
            stop = send._refused(row[0], row[2], err)
    for row in group:
        on_batch(row[0])
    return stop


def run(con, delivery_id: str, clients: api.Clients | None = None, *, rate: float = MAX_REQUESTS_PER_SECOND,
        on_batch=None) -> Report:
    """Send every planned batch of a delivery. Safe to call again after any failure or crash."""
    with _running_lock:
        if delivery_id in _running:
            raise SendError(f"delivery {delivery_id} is already being sent by this process")
        _running.add(delivery_id)
    own_clients = clients is None
    cur = con.cursor()
    try:
        if clients is None:
            try:
                clients = api.clients(api.base_url())
            except api.LineError as err:  # e.g. a non-loopback URL without a token
                _finish(cur, delivery_id, "paused", err.message)
                return progress(cur, delivery_id)
        row = _q(cur, "delivery_to_send", id=delivery_id).fetchone()
        if row is None:
            raise SendError(f"no delivery {delivery_id}")
        status, messages_json, unit, kind, tracking, cost_yen = row
        if status in ("sent", "partially_failed", "failed", "cancelled", "awaiting_approval"):
            return progress(cur, delivery_id)
        if approvals_apply():
            try:  # on the server, before any batch: a large send needs a second person's valid approval
                approvals.ensure_sendable(cur, delivery_id, float(cost_yen or 0))
            except approvals.ApprovalError as err:
                _finish(cur, delivery_id, "awaiting_approval", str(err))
                return progress(cur, delivery_id)
        if kind == "test":  # whoever planned it: a test reaches only the admin's staff list
            from dashboard.messaging import staff

            problem = staff.ledger_problem(cur, delivery_id)
            if problem:
                _finish(cur, delivery_id, "failed", f"test send refused: {problem[0]} {problem[1]}")
                return progress(cur, delivery_id)
        if status == "scheduled":
            due = _q(cur, "scheduled_due", id=delivery_id).fetchone()[0]
            if not due:
                return progress(cur, delivery_id)
        import json

        _q(cur, "mark_sending", id=delivery_id)
        send = _Sender(cur, clients, delivery_id, json.loads(messages_json), unit, kind, tracking, _pacer(rate))
        stop = _send_all(send, on_batch or (lambda batch_no: None))
        report = progress(cur, delivery_id)
        unknown = _q(cur, "unknown_count", id=delivery_id).fetchone()[0]
        if unknown and not stop:
            stop = ("paused", f"{unknown:,} recipients in batches tried over 23 h ago have no recorded answer: "
                              "check them before sending again")
        if stop:
            _finish(cur, delivery_id, stop[0], stop[1])
        elif report.failed and report.sent:
            _finish(cur, delivery_id, "partially_failed")
        elif report.failed:
            _finish(cur, delivery_id, "failed")
        else:
            _finish(cur, delivery_id, "sent")
        return progress(cur, delivery_id)
    finally:
        cur.close()
        if own_clients:
            clients.close()
        with _running_lock:
            _running.discard(delivery_id)


def line_api_details(err) -> str:
    return "; ".join(f"{d.get('property', '')}: {d.get('message', '')}" for d in err.details)


def resumable(cur, include_paused: bool = False) -> list[str]:
    """Deliveries a crash or restart left unfinished (planned or sending), scheduled ones that are
    due, and — when the operator asks — paused and stopped ones."""
    statuses = ["planned", "sending", "queued"] + (["paused", "stopped"] if include_paused else [])
    rows = _q(cur, "resumable", statuses=statuses).fetchall()
    return [r[0] for r in rows]


def resume_all(con, clients: api.Clients | None = None, include_paused: bool = False) -> list[Report]:
    cur = con.cursor()
    try:
        ids = resumable(cur, include_paused)
    finally:
        cur.close()
    reports = []
    for delivery_id in ids:
        try:
            reports.append(run(con, delivery_id, clients))
        except SendError:
            continue  # another runner in this process has it
    return reports


def start_in_background(con, delivery_id: str) -> bool:
    """Run a delivery on a thread of this process (the dashboard's): False when one already runs."""
    with _running_lock:
        if delivery_id in _running:
            return False
    thread = threading.Thread(target=_run_quietly, args=(con, delivery_id), name=f"send-{delivery_id}", daemon=True)
    thread.start()
    return True


def _run_quietly(con, delivery_id: str) -> None:
    try:
        run(con, delivery_id)
    except SendError:
        return
    try:  # the pages' per-delivery numbers and the segments' counts include this send from now on
        from dashboard.analytics import rollups

        rollups.apply(con, since=dt.datetime.now(dt.timezone.utc))
    except Exception:  # a failed refresh only delays numbers; the send itself is done
        pass
