"""The loader: spool -> DuckDB (`python -m dashboard ingest`, and the dashboard's background worker).

The receiver (receiver.py) appends JSONL lines to hourly spool files and never opens the
database. Each loader round reads what was appended since the offsets stored in the database
and loads it in ONE transaction together with the new offsets: a crash before the commit loads
nothing and the lines are read again; after it, they are never read again. Events are also
deduplicated on LINE's webhookEventId, because LINE redelivers and networks duplicate.

Parsing, mapping and deduplication are set-based SQL in queries/ingest/ (DuckDB's JSON reader
is far faster than json.loads per event). A line or event that cannot be loaded is quarantined
with its reason and never holds back the rest.
"""
from __future__ import annotations

import array
import datetime as dt
import threading
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute

from dashboard.core import config, queries, storage
from dashboard.analytics import rollups

# The statements of one round, in order (see each file's header).
STEPS = ("ingest/stage_records", "ingest/reject_records", "ingest/stage_events", "ingest/reject_events",
         "ingest/batch_summary", "ingest/new_events", "ingest/new_summary", "ingest/changed_users",
         "ingest/broadcast_members", "ingest/members_before", "ingest/insert_friends", "ingest/update_friends",
         "ingest/insert_events", "ingest/upsert_attributes", "ingest/insert_tags", "ingest/insert_attributions",
         "ingest/apply_attributions", "ingest/account_links", "ingest/link_friends", "ingest/members_after",
         "ingest/changed_broadcasts", "ingest/insert_route_hits", "ingest/add_site_visits", "ingest/quarantine",
         "ingest/refusals", "ingest/touched_friends", "ingest/save_offsets", "ingest/record_run")
queries.require(*STEPS, "ingest/offsets")

BATCH_BYTES = 512 * 1024 * 1024  # per round (~1,200,000 events, ~3 GiB peak); a backlog takes several
STALE_TAIL_S = 30                # an unterminated last line this old, in a past hour's file, is a torn write
_lock = threading.Lock()         # one round at a time per process (worker, Data page button)


def spool_dir() -> Path:
    path = Path(config.get("DASHBOARD_SPOOL") or "data/spool")
    return path if path.is_absolute() else config.ROOT / path


@dataclass
class Round:
    lines: int = 0
    events: int = 0           # events (and clicks) in the lines, duplicates and bad ones included
    loaded: int = 0           # new events written
    duplicates: int = 0
    quarantined: int = 0
    route_hits: int = 0
    files: dict = field(default_factory=dict)   # file -> (offset, lines) after the round
    seconds: float = 0.0
    rollup_seconds: float = 0.0                 # of `seconds`, bringing the rollups up to date
    touched: set = field(default_factory=set)   # friends (user_key) whose rollup rows changed
    since: dt.datetime | None = None            # earliest event time written
    counted_since: dt.datetime | None = None    # earliest of those that can count for a delivery (a reaction
                                                # with its delivery, a purchase): rollups.apply(reactions_since=)
    refused: int = 0          # of `quarantined`, lines and events the database refused (a failed round, bisected)
    refusal: str | None = None                  # the first such reason (the database's error text)
    deliveries: set = field(default_factory=set)  # broadcasts whose rollup rows are to be redone
    recipients: dict = field(default_factory=dict)  # (broadcast, route) -> change of its estimated recipients
    rerouted: set = field(default_factory=set)  # friends (user_key) whose route changed
    new_friends: set = field(default_factory=set)

    def __bool__(self) -> bool:
        return self.lines > 0


def _earliest(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _current_hour_file(now: dt.datetime) -> str:
    return now.strftime("%Y%m%d-%H") + ".jsonl"


def read_new_lines(directory: Path, offsets: dict[str, tuple[int, int]], budget: int = BATCH_BYTES,
                   now: dt.datetime | None = None) -> tuple[list, dict]:
    """Complete lines appended since `offsets` ({file: (bytes, lines)}), at most about `budget`
    bytes. Returns ([(file, lines before, the new lines as an Arrow array, each ending in a newline,
    the byte offset in the file after each line)], {file: (new_offset, new_lines)}).

    The last line of a file is only taken once it ends in a newline: the receiver may be writing
    it. In a past hour's file that nobody has written for STALE_TAIL_S, an unterminated tail is
    a write cut short by a crash (never acknowledged to LINE): it is taken, and quarantined."""
    now = now or dt.datetime.now(dt.timezone.utc)
    current = _current_hour_file(now)
    chunks, moved = [], {}
    for path in sorted(directory.glob("*.jsonl")):
        offset, count = offsets.get(path.name, (0, 0))
        size = path.stat().st_size
        if size <= offset or budget <= 0:
            continue
        with path.open("rb") as fh:
            fh.seek(offset)
            data = fh.read(min(size - offset, budget))
        end = data.rfind(b"\n") + 1
        torn = (end < len(data) and offset + len(data) == size and path.name < current
                and time.time() - path.stat().st_mtime > STALE_TAIL_S)
        if torn:
            data, end = data + b"\n", len(data) + 1  # take the torn line: it will be quarantined
        if end:
            lines, ends = _line_array(data, end)
            after = pa.compute.add(pa.array(ends[1:], pa.int64()), offset)  # file offset after each line
            if torn:  # the newline of the last line was ours
                after = pa.concat_arrays([after[:-1], pa.array([size], pa.int64())])
            chunks.append((path.name, count, lines, after))
            count += len(lines)
        consumed = end - 1 if torn else end
        if consumed:
            moved[path.name] = (offset + consumed, count)
            budget -= consumed
    return chunks, moved


def _line_array(data: bytes, end: int) -> tuple[pa.LargeStringArray, array.array]:
    """The lines in data[:end] (each ending in a newline) as an Arrow string array that shares
    `data`'s memory: no decoding into Python strings, and DuckDB parses the rows in parallel.
    Also returns where each line ends in `data` (0 first)."""
    ends, find, pos = array.array("q", [0]), data.find, 0
    while (pos := find(b"\n", pos, end) + 1) > 0:  # memchr per line: ~0.25 s for 256 MB
        ends.append(pos)
    lines = pa.LargeStringArray.from_buffers(len(ends) - 1, pa.py_buffer(ends), pa.py_buffer(data))
    try:
        lines.validate(full=True)  # UTF-8 check
    except pa.ArrowInvalid:  # invalid bytes become U+FFFD (the line then fails to parse and is quarantined)
        fixed = data[:end].decode("utf-8", errors="replace").encode("utf-8")  # as many newlines
        return _line_array(fixed, len(fixed))[0], ends
    return lines, ends


def _lines_table(chunks: list) -> pa.Table:
    files, numbers, lines, after = [], [], [], []
    for name, first, raw, ends in chunks:
        files.append(pa.repeat(pa.scalar(name, pa.string()), len(raw)))
        numbers.append(pa.array(range(first + 1, first + 1 + len(raw)), pa.int64()))
        lines.append(raw)
        after.append(ends)
    return pa.table({"file": pa.chunked_array(files, pa.string()), "line_no": pa.chunked_array(numbers, pa.int64()),
                     "raw": pa.chunked_array(lines, pa.large_string()),
                     "end_offset": pa.chunked_array(after, pa.int64())})


def _piece_offsets(piece: pa.Table) -> dict[str, tuple[int, int]]:
    """{file: (offset, lines)} after the last line of each file in `piece` (lines in file order)."""
    grouped = piece.group_by("file").aggregate([("end_offset", "max"), ("line_no", "max")])
    return {f: (o, n) for f, o, n in zip(grouped["file"].to_pylist(), grouped["end_offset_max"].to_pylist(),
                                         grouped["line_no_max"].to_pylist())}


def load_once(con, directory: Path | None = None, budget: int = BATCH_BYTES, *,
              refresh_rollups: bool = True) -> Round:
    """One loader round: read new spool lines, load them atomically, update the rollups."""
    directory = directory or spool_dir()
    if not directory.is_dir():
        return Round()
    with _lock:
        cur = con.cursor()
        try:
            return _load(cur, directory, budget, refresh_rollups)
        finally:
            cur.close()


def _offsets(cur) -> dict[str, tuple[int, int]]:
    return {f: (o, n) for f, o, n in cur.execute(queries.sql("ingest/offsets")).fetchall()}


def _load(cur, directory: Path, budget: int, refresh_rollups: bool) -> Round:
    started = time.perf_counter()
    chunks, moved = read_new_lines(directory, _offsets(cur), budget)
    result = Round(files=moved)
    if not moved:
        return result
    table = _lines_table(chunks)
    try:
        _load_piece(cur, table, moved, result)
    except Exception as exc:  # noqa: BLE001 - whatever it is, it must not wedge the loader
        _bisect(cur, table, result, exc)
    if refresh_rollups and (result.touched or result.route_hits):
        applied = time.perf_counter()
        rollups.apply(cur, user_keys=result.touched, since=result.since, deliveries=result.deliveries,
                      rerouted=result.rerouted, new_friends=result.new_friends, recipients=result.recipients,
                      reactions_since=result.counted_since)
        result.rollup_seconds = time.perf_counter() - applied
    result.seconds = time.perf_counter() - started
    return result


# The reason of an event quarantined because the database refused it (a failed round, bisected):
# the Data page and `ingest` look for it.
REFUSED = "refused by the database: "
# A database that refuses this many lines of one round refuses everything (full disk, a broken
# upgrade), not an event: the round stops with the reason instead of quarantining the whole spool.
MAX_REFUSED_LINES = 100


class LoaderStopped(RuntimeError):
    """The database refuses more than MAX_REFUSED_LINES lines of a round; what loaded stays loaded."""


class _Trial(Exception):
    """Raised at the end of a trial load so that storage.transaction() rolls it back."""


def _bisect(cur, table: pa.Table, result: Round, error: Exception) -> None:
    """A round failed: split its lines until the ones the database refuses are found, quarantine
    those (with the database's error text), and load the rest. Pieces are loaded in spool order
    and each commits the offsets after its last line, so a crash meanwhile loses and doubles
    nothing. A database that refuses even to quarantine (disk full, …) raises."""
    def attempt(lo: int, hi: int, rejects=()) -> Exception | None:
        try:
            _load_piece(cur, table.slice(lo, hi - lo), None, result, rejects)
        except Exception as exc:  # noqa: BLE001
            return exc
        return None

    isolated = [0]

    def solve(lo: int, hi: int, exc: Exception) -> None:
        if hi - lo == 1:
            isolated[0] += 1
            if isolated[0] > MAX_REFUSED_LINES:
                raise LoaderStopped(f"the database refused more than {MAX_REFUSED_LINES} lines of one round; "
                                    f"stopped, the rest stays in the spool: {' '.join(str(exc).split())[:500]}") from exc
            _isolate(cur, table.slice(lo, 1), result, exc)
            return
        mid = (lo + hi) // 2
        for a, b in ((lo, mid), (mid, hi)):
            failed = attempt(a, b)
            if failed is not None:
                solve(a, b, failed)

    solve(0, table.num_rows, error)


def _reason(exc: Exception) -> str:
    return (REFUSED + " ".join(str(exc).split()))[:2000]


def _isolate(cur, line: pa.Table, result: Round, exc: Exception) -> None:
    """One spool line the database refuses: find which of its events it refuses (each tried alone,
    nothing kept), then load the line with those quarantined; if it still fails, quarantine the line."""
    import json

    file, line_no = line["file"][0].as_py(), line["line_no"][0].as_py()
    try:
        record = json.loads(line["raw"][0].as_py())
        count = len(json.loads(record["body"])["events"]) if record.get("kind") == "webhook" else 0
    except (ValueError, TypeError, KeyError, AttributeError):
        count = 0
    refused = []
    for idx in range(count if count > 1 else 0):
        others = [(file, line_no, k, "probe") for k in range(count) if k != idx]
        try:
            _load_piece(cur, line, None, result, others, trial=True)
        except Exception as failed:  # noqa: BLE001
            refused.append((file, line_no, idx, _reason(failed)))
    if count == 1:
        refused = [(file, line_no, 0, _reason(exc))]
    for rejects in ([r for r in refused], [(file, line_no, None, _reason(exc))]):
        if not rejects:
            continue
        try:
            _load_piece(cur, line, None, result, rejects)
            return
        except Exception as failed:  # noqa: BLE001
            exc = failed
    raise exc


def _load_piece(cur, piece: pa.Table, moved: dict | None, result: Round, rejects=(), trial: bool = False) -> None:
    """Load `piece` (spool lines) in one transaction with the offsets after it; `rejects`
    ((file, line_no, idx or None for the whole line, reason)) are quarantined instead. Adds to
    `result` what it loaded. A trial rolls back whatever happens."""
    moved = moved if moved is not None else _piece_offsets(piece)
    cur.register("_spool_lines", piece)
    if rejects:
        cur.register("_ingest_rejects", pa.table({
            "file": pa.array([r[0] for r in rejects], pa.string()),
            "line_no": pa.array([r[1] for r in rejects], pa.int64()),
            "idx": pa.array([r[2] for r in rejects], pa.int64()),
            "reason": pa.array([r[3] for r in rejects], pa.string())}))
    got = Round()
    try:
        with suppress(_Trial), storage.transaction(cur):
            _round(cur, got, moved, rejects)
            if trial:
                raise _Trial  # rolled back: only whether the database takes the piece was asked
    finally:
        cur.unregister("_spool_lines")
        if rejects:
            cur.unregister("_ingest_rejects")
    if trial:
        return
    for name in ("lines", "events", "loaded", "duplicates", "quarantined", "route_hits"):
        setattr(result, name, getattr(result, name) + getattr(got, name))
    result.refused += got.refused
    result.refusal = result.refusal or got.refusal
    result.touched |= got.touched
    result.rerouted |= got.rerouted
    result.new_friends |= got.new_friends
    _add_changes(result.recipients, got.recipients)
    if got.since is not None:
        result.since = got.since if result.since is None else min(result.since, got.since)
    result.counted_since = _earliest(result.counted_since, got.counted_since)


def _round(cur, got: Round, moved: dict, rejects) -> None:
    """The statements of one load (STEPS), inside its transaction, with the offsets `moved` after it;
    what it loaded and found goes into `got`."""
    from dashboard.analytics.rollups import REACTION_TYPES

    def run(name: str, **params):
        return cur.execute(queries.sql(name), params) if params else cur.execute(queries.sql(name))

    run("ingest/stage_records")
    if rejects:
        run("ingest/reject_records")
    run("ingest/stage_events")
    if rejects:
        run("ingest/reject_events")
    got.lines, oldest, lo, hi, valid, got.events = run("ingest/batch_summary").fetchone()
    lo = lo or dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    hi = hi or lo
    run("ingest/new_events", min_ts=lo, max_ts=hi)
    got.loaded, first_new, got.counted_since = run("ingest/new_summary", reaction_types=REACTION_TYPES).fetchone()
    got.duplicates = valid - got.loaded
    # which broadcasts count the friends this round changes, before and after (rollup_delivery_route)
    for name in ("ingest/changed_users", "ingest/broadcast_members", "ingest/members_before"):
        run(name)
    got.new_friends = {r[0] for r in run("ingest/insert_friends").fetchall()}
    run("ingest/update_friends")
    run("ingest/insert_events", reaction_types=REACTION_TYPES, min_ts=lo)
    for name in ("ingest/upsert_attributes", "ingest/insert_tags", "ingest/insert_attributions"):
        run(name)
    rerouted = run("ingest/apply_attributions").fetchall()
    for name in ("ingest/account_links", "ingest/link_friends", "ingest/members_after"):
        run(name)
    got.recipients = {(d, r): n for d, r, n in run("ingest/changed_broadcasts").fetchall()}
    hits = run("ingest/insert_route_hits").fetchall()
    got.route_hits = len(hits)
    if hits:
        cur.register("_ingest_hits", pa.table({"route": [h[0] for h in hits], "hit_at": [h[1] for h in hits]}))
        run("ingest/add_site_visits")
        cur.unregister("_ingest_hits")
    run("ingest/quarantine")
    got.quarantined, got.refused, got.refusal = run("ingest/refusals", p=REFUSED).fetchone()
    got.rerouted = {k for k, _ in rerouted}
    got.touched = {r[0] for r in run("ingest/touched_friends").fetchall()} | got.rerouted
    firsts = [t for _, t in rerouted if t is not None] + ([first_new] if got.loaded else [])
    got.since = min(firsts) if firsts else None
    files = sorted(moved)
    run("ingest/save_offsets", files=files, offsets=[moved[f][0] for f in files], lines=[moved[f][1] for f in files])
    if got.lines:
        run("ingest/record_run", l=got.lines, e=got.loaded, d=got.duplicates, q=got.quarantined, oldest=oldest)
    if got.touched or got.route_hits:
        rollups.mark_dirty(cur)


def _add_changes(into: dict, changes: dict) -> None:
    """Sum the rounds' changes of estimated recipients ((broadcast, route) -> change)."""
    for key, change in changes.items():
        into[key] = into.get(key, 0) + change
        if not into[key]:
            del into[key]


def load_all(con, directory: Path | None = None, budget: int = BATCH_BYTES) -> Round:
    """Rounds until the spool is caught up, then one rollup update for all of them (a backlog
    would otherwise pay the rollups' fixed cost per round); returns the totals."""
    total = Round()
    started = time.perf_counter()
    while True:
        one = load_once(con, directory, budget, refresh_rollups=False)
        if not one.files:
            break
        for name in ("lines", "events", "loaded", "duplicates", "quarantined", "route_hits", "refused"):
            setattr(total, name, getattr(total, name) + getattr(one, name))
        total.refusal = total.refusal or one.refusal
        total.files.update(one.files)
        total.touched |= one.touched
        total.rerouted |= one.rerouted
        total.new_friends |= one.new_friends
        total.deliveries |= one.deliveries
        _add_changes(total.recipients, one.recipients)
        if one.since is not None:
            total.since = one.since if total.since is None else min(total.since, one.since)
        total.counted_since = _earliest(total.counted_since, one.counted_since)
    if total.touched or total.route_hits:  # rounds committed with the rollups marked dirty
        applied = time.perf_counter()
        rollups.apply(con, user_keys=total.touched, since=total.since, deliveries=total.deliveries,
                      rerouted=total.rerouted, new_friends=total.new_friends, recipients=total.recipients,
                      reactions_since=total.counted_since)
        total.rollup_seconds = time.perf_counter() - applied
    total.seconds = time.perf_counter() - started
    return total
