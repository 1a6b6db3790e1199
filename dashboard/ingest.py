"""The loader: spool -> DuckDB (`python -m dashboard ingest`, and the dashboard's background worker).

The receiver (webhook.py) appends JSONL lines to hourly spool files and never opens the
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
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from dashboard import config, queries, rollups

# The statements of one round, in order (see each file's header).
STEPS = ("ingest/stage_records", "ingest/stage_events", "ingest/new_events", "ingest/insert_friends",
         "ingest/update_friends", "ingest/insert_events", "ingest/upsert_attributes", "ingest/insert_tags",
         "ingest/insert_attributions", "ingest/apply_attributions", "ingest/account_links",
         "ingest/link_friends", "ingest/insert_route_hits", "ingest/add_site_visits", "ingest/quarantine")
queries.require(*STEPS)

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

    def __bool__(self) -> bool:
        return self.lines > 0


def _current_hour_file(now: dt.datetime) -> str:
    return now.strftime("%Y%m%d-%H") + ".jsonl"


def read_new_lines(directory: Path, offsets: dict[str, tuple[int, int]], budget: int = BATCH_BYTES,
                   now: dt.datetime | None = None) -> tuple[list, dict]:
    """Complete lines appended since `offsets` ({file: (bytes, lines)}), at most about `budget`
    bytes. Returns ([(file, lines before, the new lines as an Arrow array, each ending in a newline)],
    {file: (new_offset, new_lines)}).

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
            lines = _line_array(data, end)
            chunks.append((path.name, count, lines))
            count += len(lines)
        consumed = end - 1 if torn else end
        if consumed:
            moved[path.name] = (offset + consumed, count)
            budget -= consumed
    return chunks, moved


def _line_array(data: bytes, end: int) -> pa.LargeStringArray:
    """The lines in data[:end] (each ending in a newline) as an Arrow string array that shares
    `data`'s memory: no decoding into Python strings, and DuckDB parses the rows in parallel."""
    ends, find, pos = array.array("q", [0]), data.find, 0
    while (pos := find(b"\n", pos, end) + 1) > 0:  # memchr per line: ~0.25 s for 256 MB
        ends.append(pos)
    lines = pa.LargeStringArray.from_buffers(len(ends) - 1, pa.py_buffer(ends), pa.py_buffer(data))
    try:
        lines.validate(full=True)  # UTF-8 check
    except pa.ArrowInvalid:  # invalid bytes become U+FFFD (the line then fails to parse and is quarantined)
        fixed = data[:end].decode("utf-8", errors="replace").encode("utf-8")
        return _line_array(fixed, len(fixed))
    return lines


def _lines_table(chunks: list) -> pa.Table:
    files, numbers, lines = [], [], []
    for name, first, raw in chunks:
        files.append(pa.repeat(pa.scalar(name, pa.string()), len(raw)))
        numbers.append(pa.array(range(first + 1, first + 1 + len(raw)), pa.int64()))
        lines.append(raw)
    return pa.table({"file": pa.chunked_array(files, pa.string()), "line_no": pa.chunked_array(numbers, pa.int64()),
                     "raw": pa.chunked_array(lines, pa.large_string())})


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
    return {f: (o, n) for f, o, n in cur.execute("select file, offset_bytes, lines from ingest_offsets").fetchall()}


def _load(cur, directory: Path, budget: int, refresh_rollups: bool) -> Round:
    from dashboard.metrics import REACTION_TYPES

    started = time.perf_counter()
    chunks, moved = read_new_lines(directory, _offsets(cur), budget)
    result = Round(files=moved)
    if not moved:
        return result
    cur.register("_spool_lines", _lines_table(chunks))
    touched_keys: set[int] = set()
    since = None
    result.touched, result.since = touched_keys, None
    cur.execute("begin")
    try:
        for name in STEPS[:2]:
            cur.execute(queries.sql(name))
        result.lines = cur.execute("select count(*) from _ingest_records").fetchone()[0]
        lines = result.lines
        lo, hi, valid, events = cur.execute(
            "select min(occurred_at) filter (where reason is null), max(occurred_at) filter (where reason is null), "
            "count(*) filter (where reason is null), count(*) from _ingest_events").fetchone()
        lo = lo or dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
        hi = hi or lo
        cur.execute(queries.sql("ingest/new_events"), {"min_ts": lo, "max_ts": hi})
        result.events = events
        result.loaded = cur.execute("select count(*) from _ingest_new").fetchone()[0]
        result.duplicates = valid - result.loaded
        for name in ("ingest/insert_friends", "ingest/update_friends"):
            cur.execute(queries.sql(name))
        cur.execute(queries.sql("ingest/insert_events"), {"reaction_types": REACTION_TYPES, "min_ts": lo})
        for name in ("ingest/upsert_attributes", "ingest/insert_tags", "ingest/insert_attributions"):
            cur.execute(queries.sql(name))
        rerouted = cur.execute(queries.sql("ingest/apply_attributions")).fetchall()
        for name in ("ingest/account_links", "ingest/link_friends"):
            cur.execute(queries.sql(name))
        hits = cur.execute(queries.sql("ingest/insert_route_hits")).fetchall()
        result.route_hits = len(hits)
        if hits:
            cur.register("_ingest_hits", pa.table({"route": [h[0] for h in hits], "hit_at": [h[1] for h in hits]}))
            cur.execute(queries.sql("ingest/add_site_visits"))
            cur.unregister("_ingest_hits")
        cur.execute(queries.sql("ingest/quarantine"))
        result.quarantined = cur.execute(
            "select (select count(*) from _ingest_records where reason is not null)"
            " + (select count(*) from _ingest_events where reason is not null)").fetchone()[0]
        touched_keys = {r[0] for r in cur.execute(
            "select distinct f.user_key from _ingest_new n join friends f using (user_id)").fetchall()}
        touched_keys.update(k for k, _ in rerouted)
        firsts = [t for _, t in rerouted if t is not None]
        if result.loaded:
            firsts.append(cur.execute("select min(occurred_at) from _ingest_new").fetchone()[0])
        since = min(firsts) if firsts else None
        oldest = cur.execute("select min(received_at) from _ingest_records").fetchone()[0]
        for name, (offset, count) in moved.items():
            cur.execute("insert or replace into ingest_offsets (file, offset_bytes, lines, updated_at) "
                        "values ($f, $o, $n, current_timestamp)", {"f": name, "o": offset, "n": count})
        if lines:
            cur.execute("insert into ingest_runs (started_at, finished_at, lines, events_loaded, duplicates, "
                        "quarantined, lag_seconds) values (current_timestamp, current_timestamp, $l, $e, $d, $q, "
                        "epoch(current_timestamp - $oldest::timestamptz))",
                        {"l": lines, "e": result.loaded, "d": result.duplicates, "q": result.quarantined,
                         "oldest": oldest})
        if touched_keys or result.route_hits:
            rollups.mark_dirty(cur)
        cur.execute("commit")
    except Exception:
        cur.execute("rollback")
        raise
    finally:
        cur.unregister("_spool_lines")
    result.touched, result.since = touched_keys, since
    if refresh_rollups and (touched_keys or result.route_hits):
        applied = time.perf_counter()
        rollups.apply(cur, user_keys=touched_keys, since=since)
        result.rollup_seconds = time.perf_counter() - applied
    result.seconds = time.perf_counter() - started
    return result


def load_all(con, directory: Path | None = None, budget: int = BATCH_BYTES) -> Round:
    """Rounds until the spool is caught up, then one rollup update for all of them (a backlog
    would otherwise pay the rollups' fixed cost per round); returns the totals."""
    total = Round()
    started = time.perf_counter()
    while True:
        one = load_once(con, directory, budget, refresh_rollups=False)
        if not one.files:
            break
        for name in ("lines", "events", "loaded", "duplicates", "quarantined", "route_hits"):
            setattr(total, name, getattr(total, name) + getattr(one, name))
        total.files.update(one.files)
        total.touched |= one.touched
        if one.since is not None:
            total.since = one.since if total.since is None else min(total.since, one.since)
    if total.touched or total.route_hits:  # rounds committed with the rollups marked dirty
        applied = time.perf_counter()
        rollups.apply(con, user_keys=total.touched, since=total.since)
        total.rollup_seconds = time.perf_counter() - applied
    total.seconds = time.perf_counter() - started
    return total
