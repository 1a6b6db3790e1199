"""Proof by difference (issue 17): every read the warehouse answers gives DuckDB's result on ClickHouse.

The demo account goes DuckDB -> Parquet interchange -> embedded ClickHouse (chdb). Then:
- every read query of the areas DASHBOARD_ENGINE=clickhouse routes (engine.ENGINE_AREAS: overview,
  acquisition, funnel, cohorts, engagement, deliveries, segments, account, checkup, send_time),
  enumerated from queries/ — not picked by hand — runs on both with several parameter sets (the
  check-up's thresholds among them, and LINE insight days added to the demo);
  write statements are recognised by their first word and not run (they stay in DuckDB); a read
  of a table the warehouse does not have (alerts, goals, the check-up's runs, the quarantine) must
  be in engine.TRANSACTIONAL, and stays in DuckDB; transactional reads over warehouse tables are
  compared too, so that they can move;
  areas that are not routed are listed in NOT_ROUTED with the reason, and a new area fails here;
- segment rules (the README's examples, hypothesis-generated trees, a send's audience with its
  exclusions) compile once and run as DuckDB SQL and as the ClickHouse SQL of the same rule;
- the page functions (Overview, segments, check-up, goals, send-time grid, LINE's figures) read the
  warehouse under DASHBOARD_ENGINE=clickhouse and give DuckDB's answers;
- a send planned on the warehouse (its audience read once, kept in DuckDB) has the counts and
  writes the ledger of the same send planned in DuckDB.
Results are compared after normalising types (counts UInt64 vs BIGINT, dates vs timestamps,
booleans vs 0/1, floats to 9 digits), as multisets of rows and by column names. A query that
differs fails; none is skipped. The number compared is printed (pytest -s).
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings

from dashboard.audience import rules, running
from dashboard.core import queries, storage
from dashboard.warehouse import clickhouse, dialect, engine, parquet
from tests.conftest import DEMO_END
from tests.test_segments import trees

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Tokyo")
END = dt.datetime.combine(DEMO_END, dt.time(), TZ)
# Areas of queries/ whose reads stay in DuckDB for now, each with its reason. The test fails when
# an area is neither routed nor listed here.
NOT_ROUTED = {
    "approvals": "transactional state: approvals stay in DuckDB",
    "audit": "transactional state: the audit log stays in DuckDB",
    "auth": "transactional state: users, log-in attempts and sessions stay in DuckDB",
    "crosstab": "the cross-tab builds temp dimension tables in DuckDB: not routed yet",
    "data": "the loader's own health (offsets, quarantine, runs): DuckDB's state by nature",
    "demo": "builds the demo account in DuckDB",
    "drafts": "transactional state: compose drafts stay in DuckDB",
    "friend": "one friend's page: point lookups, not routed yet",
    "imports": "CSV imports write DuckDB",
    "ingest": "the loader writes DuckDB",
    "meta": "DuckDB's own catalogue",
    "rollups": "rollups are built in DuckDB and copied to the warehouse as snapshots",
    "scenarios": "step scenarios and their enrolments are transactional state",
    "schema_version": "DuckDB's schema version",
    "sending": "the send engine and its ledger stay in DuckDB (with the warehouse a send's audience is read there "
               "once by planning and written to the ledger here)",
    "staff": "transactional state: the staff list stays in DuckDB",
    "sync": "LINE sync writes DuckDB",
    "warehouse": "the warehouse's own plumbing in DuckDB: the Parquet export (reads DuckDB to write Parquet) "
                 "and a send's audience read from the warehouse, kept in DuckDB for its ledger",
}


def _value(v):
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, (list, tuple)):
        return tuple(_value(x) for x in v)
    if hasattr(v, "tolist") and not isinstance(v, (pd.Timestamp, str)):   # numpy scalars and arrays
        v = v.tolist()
        if isinstance(v, list):
            return tuple(_value(x) for x in v)
    if v is pd.NA:
        return None
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, dt.datetime):
        return (v.astimezone(dt.timezone.utc) if v.tzinfo else v).replace(tzinfo=None).isoformat()
    if isinstance(v, dt.date):
        return dt.datetime.combine(v, dt.time()).isoformat()
    if hasattr(v, "as_integer_ratio") and not isinstance(v, int):   # float, Decimal
        return round(float(v), 9)
    return v


def normalised(frame: pd.DataFrame) -> tuple[list[str], list[tuple]]:
    rows = [tuple(_value(v) for v in row) for row in frame.astype(object).itertuples(index=False)]
    return list(frame.columns), sorted(rows, key=repr)


@pytest.fixture(scope="module")
def engines(demo_db, tmp_path_factory):
    """DuckDB (the demo) and the warehouse loaded from its Parquet export, with a cursor each side."""
    folder = tmp_path_factory.mktemp("warehouse")
    path = folder / "demo.duckdb"
    shutil.copy(demo_db, path)
    con = storage.connect(path)
    cur = con.cursor()
    # LINE's own numbers (the demo has none): a few synced days, the newest one not ready yet
    for i, followers in enumerate((3400, 3420, 3431, None)):
        queries.run(cur, "sync/upsert_insight_followers", day=DEMO_END - dt.timedelta(days=4 - i), followers=followers,
                    targeted_reaches=None if followers is None else followers - 600,
                    blocks=None if followers is None else 410 + i, fetched_at=END)
    parquet.export(cur, folder / "parquet")
    warehouse = clickhouse.Warehouse(clickhouse.Chdb(folder / "chdb"), account_id="demo")
    warehouse.load(folder / "parquet")
    other = clickhouse.Warehouse(warehouse.link, account_id="other")   # a second account in the same tables
    yield cur, warehouse
    _ = other
    con.close()
    clickhouse.Chdb.close_all()


def _choices(cur) -> dict:
    def values(sql):
        return [r[0] for r in cur.execute(sql).fetchall() if r[0] is not None]
    return {"route": values("select distinct inflow_route from friends order by 1"),
            "tag": values("select distinct tag from friend_tags order by 1")[:8],
            "category": values("select distinct detail from events where type = 'purchase' order by 1")[:5],
            "area": values("select distinct detail from events where type = 'richmenu_tap' order by 1")[:5],
            "delivery": values("select delivery_id from deliveries order by sent_at desc nulls last limit 5")}


def _parameter_sets(cur) -> list[dict]:
    routes = _choices(cur)["route"]
    deliveries = [r[0] for r in cur.execute(
        "select delivery_id from deliveries where sent_at is not null order by kind, sent_at desc").fetchall()]
    picks = [deliveries[0], deliveries[-1], "no-such-delivery"]
    line_day = cur.execute("select max(day) from insight_message_delivery").fetchone()[0] or DEMO_END
    sets = []
    for i, (days, route) in enumerate([(30, []), (7, [routes[0]]), (90, [*routes[1:3], "no-such-route"])]):
        end = END - dt.timedelta(days=3 * i)
        sets.append(dict(start=end - dt.timedelta(days=days), end=end, as_of=END, routes=route,
                         delivery_id=picks[i], id=picks[i], line_day=line_day, window_days=(7, 30, 3)[i],
                         reaction_types=list(rules.REACTION_TYPES), limit=20,
                         first=(end - dt.timedelta(days=days)).date(), last=end.date(), segment_ids=[],
                         # the check-up's rules, with thresholds low and high enough that some fire
                         days=days, known_days=(90, 30, 120)[i], recent_days=(7, 30, 7)[i],
                         baseline_days=(90, 30, 60)[i], factor=(1.0, 0.5, 2.0)[i], min_blocks=(1, 1, 3)[i],
                         min_adds=(5, 1, 20)[i], share=(0.5, 0.2, 0.9)[i], n=(1, 2, 5)[i]))
    # the check-up on the eve of the first broadcast: friends nobody has sent anything yet (silent_friends)
    first_broadcast = cur.execute("select min(sent_at) from deliveries where kind = 'broadcast'").fetchone()[0]
    sets.append({**sets[0], "as_of": first_broadcast - dt.timedelta(hours=1), "days": 1})
    return sets


def _materialise_both(cur, warehouse, rule_by_table: dict) -> None:
    for table, rule in rule_by_table.items():
        compiled = rules.compile_rule(rule, END, tz="Asia/Tokyo")
        cur.execute(*compiled.into(table))
        warehouse.execute_compiled(*compiled.in_dialect("clickhouse").into(table))


def readme_rules() -> list[dict]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Segment rules (JSON)"):text.index("## Step scenarios")]
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", section, re.S)]


# the temp tables a session holds: a segment's members (audience/running.py)
WAREHOUSE_TEMP_TABLES = {running.MEMBERS_TABLE, *running.OVERLAP_TABLES}


def _tables(duckdb_sql: str) -> set[str]:
    """The tables a DuckDB query reads (its CTEs left out)."""
    tree = sqlglot.parse_one(duckdb_sql, read="duckdb")
    ctes = {c.alias_or_name for c in tree.find_all(sqlglot.exp.CTE)}
    named = {t.name for t in tree.find_all(sqlglot.exp.Table) if isinstance(t.this, sqlglot.exp.Identifier)}
    return named - ctes   # table functions (range, unnest) are not tables


def test_every_area_is_routed_or_listed():
    areas = {name.split("/", 1)[0] for name in queries.load_all()}
    assert areas - set(engine.ENGINE_AREAS) == set(NOT_ROUTED), "a queries/ area is neither routed nor listed"


def test_every_read_query_is_equal_on_clickhouse(engines):
    cur, warehouse = engines
    sample_rule = readme_rules()[1]
    _materialise_both(cur, warehouse, {"segment_members": sample_rule, "segment_a": rules.EMPTY_RULE,
                                       "segment_b": sample_rule, "segment_c": readme_rules()[0]})
    compared, writes, differ = 0, [], []
    reads, duckdb_only = [], []
    for n, text in sorted(queries.load_all().items()):
        if n.split("/", 1)[0] not in engine.ENGINE_AREAS or engine.is_write(text):
            continue
        # every read over the warehouse's tables is compared (a transactional one too, so that it
        # can move); one that reads DuckDB's own state must be listed as staying there
        if _tables(text) <= set(dialect.TABLES) | WAREHOUSE_TEMP_TABLES:
            reads.append(n)
        else:
            assert n in engine.TRANSACTIONAL, f"{n} reads {_tables(text) - set(dialect.TABLES)}: not in the warehouse"
            duckdb_only.append(n)
    writes = sorted(n for n, text in queries.load_all().items()
                    if n.split("/", 1)[0] in engine.ENGINE_AREAS and engine.is_write(text))
    for name in reads:
        seen = set()
        for params in _parameter_sets(cur):
            wanted = {k: params[k] for k in queries.parameters(name)}
            key = repr(sorted(wanted.items()))
            if key in seen:
                continue
            seen.add(key)
            expected = normalised(queries.run(cur, name, **wanted))
            try:
                got = normalised(warehouse.run(name, **wanted))
            except Exception as exc:   # a query ClickHouse cannot run is a difference, not a skip
                differ.append(f"{name} {wanted}: {str(exc)[:300]}")
                continue
            compared += 1
            if got != expected:
                differ.append(f"{name} {wanted}: columns {expected[0]} vs {got[0]}; "
                              f"{len(expected[1])} vs {len(got[1])} rows; first differing: "
                              f"{next(((a, b) for a, b in zip(expected[1], got[1]) if a != b), None)}")
    print(f"\nwarehouse difference: {len(reads)} read queries of {', '.join(engine.ENGINE_AREAS)} "
          f"compared in {compared} runs on DuckDB and chdb; {len(writes)} write statements not run "
          f"(they stay in DuckDB): {', '.join(writes)}; {len(duckdb_only)} reads of DuckDB's own state "
          f"not run (engine.TRANSACTIONAL): {', '.join(duckdb_only)}")
    assert differ == [], "\n".join(differ)
    assert len(reads) >= 41 and compared >= 2 * len(reads)


def test_the_warehouse_reads_only_its_account(engines):
    cur, warehouse = engines
    other = clickhouse.Warehouse(warehouse.link, account_id="someone-else")
    frame = other.run("overview/friend_counts", start=END - dt.timedelta(days=30), end=END, routes=[])
    assert int(frame.iat[0, 0]) == 0
    mine = warehouse.run("overview/friend_counts", start=END - dt.timedelta(days=30), end=END, routes=[])
    assert int(mine.iat[0, 0]) == cur.execute("select count(*) from friends where followed_at < $e", {"e": END}).fetchone()[0]


def _members_both(cur, warehouse, compiled: rules.Compiled) -> tuple[list, list]:
    duck = sorted(cur.execute(*compiled.user_ids()).df()["user_id"])
    house = sorted(warehouse.run_compiled(*compiled.in_dialect("clickhouse").user_ids())["user_id"])
    return duck, house


def test_readme_rules_and_a_send_audience_are_equal(engines):
    cur, warehouse = engines
    compared = 0
    for rule in readme_rules():
        duck, house = _members_both(cur, warehouse, rules.compile_rule(rule, END, tz="Asia/Tokyo"))
        assert duck == house, json.dumps(rule, ensure_ascii=False)
        compared += 1
    # a send's audience: the rule minus not following, the frequency cap, an excluded segment
    found = running.recipients(readme_rules()[0], running.Exclusions(3, readme_rules()[1], ("x" * 64,)),
                               END, now=END, tz="Asia/Tokyo")
    for query in (found.base, *(q for _, _, q in found.stages)):
        duck, house = _members_both(cur, warehouse, query)
        assert duck == house
        compared += 1
    print(f"\nwarehouse difference: {compared} README rules and send-audience stages equal")


def test_generated_rules_are_equal(engines):
    cur, warehouse = engines
    choices = _choices(cur)
    counted = {"rules": 0, "nonempty": 0}

    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(trees(choices))
    def check(tree):
        rule = {"version": 1, "rule": tree}
        earlier = "'interest'" not in str(tree) and "'genre'" not in str(tree)
        compiled = (rules.compile_rule(rule, END - dt.timedelta(days=10), use_rollup=False, tz="Asia/Tokyo")
                    if earlier and counted["rules"] % 2 else rules.compile_rule(rule, END, tz="Asia/Tokyo"))
        duck, house = _members_both(cur, warehouse, compiled)
        assert duck == house, json.dumps(tree, ensure_ascii=False)
        counted["rules"] += 1
        counted["nonempty"] += bool(duck)

    check()
    print(f"\nwarehouse difference: {counted['rules']} generated rules equal ({counted['nonempty']} with members)")
    assert counted["nonempty"] >= counted["rules"] // 4   # not a corpus of empty audiences


def test_with_the_clickhouse_engine_the_page_functions_read_the_warehouse(engines, monkeypatch):
    """DASHBOARD_ENGINE=clickhouse: the Overview's KPIs and a segment's count, breakdown and overlap
    come from the warehouse (its reads are counted), equal to DuckDB's; a saved segment's list stays
    in DuckDB."""
    from dashboard.analytics import metrics

    cur, warehouse = engines
    period = metrics.Period.from_dates(DEMO_END - dt.timedelta(days=30), DEMO_END - dt.timedelta(days=1), tz="Asia/Tokyo")
    rule = readme_rules()[1]

    def everything():
        return (metrics.overview_kpis(cur, period), running.count(cur, rule),
                normalised(running.breakdown(cur, rule)), normalised(running.overlap(cur, [rule, rules.EMPTY_RULE])))

    duck = everything()
    calls = []
    monkeypatch.setattr(engine, "_warehouse", warehouse)
    monkeypatch.setattr(warehouse, "run", lambda name, **p: calls.append(name) or clickhouse.Warehouse.run(warehouse, name, **p))
    monkeypatch.setattr(warehouse, "run_compiled",
                        lambda *a: calls.append("rule") or clickhouse.Warehouse.run_compiled(warehouse, *a))
    monkeypatch.setenv("DASHBOARD_ENGINE", "clickhouse")
    house = everything()
    assert house == duck
    assert {"overview/friend_counts", "overview/active_friends", "segments/breakdown", "segments/overlap", "rule"} <= set(calls)
    queries.run(cur, "segments/list")
    assert "segments/list" not in calls   # transactional state stays in DuckDB


def test_with_the_clickhouse_engine_the_checkup_send_time_and_line_figures_read_the_warehouse(engines, monkeypatch):
    """DASHBOARD_ENGINE=clickhouse: the check-up's evaluation, the goals' purchases, the send-time grid
    (everyone and one audience) and LINE's figures beside ours come from the warehouse, equal to
    DuckDB's; the alerts, goals and the check-up's own record stay in DuckDB."""
    from dashboard.analytics import line_figures, metrics, send_time
    from dashboard.checkup import alerts, goals, rules as checkup

    cur, warehouse = engines
    period = metrics.Period.from_dates(DEMO_END - dt.timedelta(days=60), DEMO_END - dt.timedelta(days=1), tz="Asia/Tokyo")
    rule = readme_rules()[1]
    monkeypatch.setenv("DASHBOARD_TIMEZONE", "Asia/Tokyo")

    def everything():
        return (checkup.evaluate(cur, END, now=END), goals.values_at(cur, DEMO_END - dt.timedelta(days=1), "Asia/Tokyo"),
                normalised(send_time.grid(cur, period)), normalised(send_time.grid(cur, period, rule=rule)),
                line_figures.compare(cur), alerts.live(cur), queries.run(cur, "checkup/goals_list").shape)

    duck = everything()
    assert duck[0], "the demo's check-up finds something"
    calls = []
    monkeypatch.setattr(engine, "_warehouse", warehouse)
    monkeypatch.setattr(warehouse, "run", lambda name, **p: calls.append(name) or clickhouse.Warehouse.run(warehouse, name, **p))
    monkeypatch.setattr(warehouse, "execute_compiled",
                        lambda *a: calls.append("members") or clickhouse.Warehouse.execute_compiled(warehouse, *a))
    monkeypatch.setenv("DASHBOARD_ENGINE", "clickhouse")
    house = everything()
    assert house == duck
    assert {"checkup/block_spike", "checkup/route_blocks", "checkup/promotion_share", "checkup/heavy_receivers",
            "checkup/reactions_falling", "checkup/silent_friends", "checkup/menu_area", "send_time/grid_all",
            "send_time/grid_audience", "members", "account/line_figures", "checkup/purchases"} <= set(calls)
    assert not {n for n in calls if n in engine.TRANSACTIONAL}   # alerts, goals, quarantine: DuckDB


def test_with_the_clickhouse_engine_a_send_is_planned_from_the_warehouse(engines, monkeypatch):
    """DASHBOARD_ENGINE=clickhouse: the plan reads the rule's members from the warehouse once, keeps
    them in DuckDB, judges following and the frequency cap there from DuckDB's own ledger (a send the
    warehouse has not loaded yet counts), and writes the ledger from those rows — the same counts and
    the same ledger as a plan made in DuckDB over the same data — and says what the audience is as of."""
    from dashboard.messaging import planning, sending

    cur, warehouse = engines
    monkeypatch.setenv("DASHBOARD_QUIET_HOURS", "off")   # the test runs at any hour
    rule = {"version": 1, "rule": {"field": "interest", "in": ["hot", "warm", "cold"]}}   # blocked friends too
    messages = [{"type": "text", "text": "warehouse plan"}]
    hashes = [r[0] for r in cur.execute("select email_hash from customers where email_hash is not null "
                                        "order by email_hash limit 40").fetchall()]
    route = _choices(cur)["route"][0]
    kwargs = dict(exclude_rule={"version": 1, "rule": {"field": "route", "in": [route]}}, email_hashes=hashes,
                  frequency_cap=3)
    duck = planning.plan_send(cur, rule, messages, **kwargs)
    reads = []
    monkeypatch.setattr(engine, "_warehouse", warehouse)
    monkeypatch.setattr(warehouse, "run_compiled",
                        lambda *a: reads.append(a) or clickhouse.Warehouse.run_compiled(warehouse, *a))
    monkeypatch.setenv("DASHBOARD_ENGINE", "clickhouse")
    house = planning.plan_send(cur, rule, messages, **kwargs)
    assert len(reads) == 1   # one read of the warehouse: every count and the recipients
    assert (house.audience, house.exclusions, house.recipients) == (duck.audience, duck.exclusions, duck.recipients)
    assert duck.recipients > 0 and all(removed for _, removed, _ in duck.exclusions[:1] + duck.exclusions[2:]), duck.exclusions
    assert house.audience_as_of == warehouse.snapshots_taken() is not None
    assert [c.code for c in house.checks if c.code.startswith("warehouse")] == ["warehouse_as_of"]
    assert not [c for c in duck.checks if c.code.startswith("warehouse")]
    assert planning.recount(cur, house) == house.recipients   # the confirmation counts the same rows
    # three sends that went out a minute ago, which the warehouse has not loaded: their five
    # recipients reach the cap of 3 and must be left out, judged from DuckDB's ledger, not the warehouse's
    five = [r[0] for r in cur.execute(*house.query.user_ids()).fetchall()[:5]]
    try:
        for n in range(3):
            cur.execute("insert into deliveries (delivery_id, kind, title, status, sent_count, created_at, sent_at) "
                        "values ($d, 'multicast', 'just now', 'sent', 5, now(), now() - interval 1 minute)",
                        {"d": f"wh-recent-{n}"})
            cur.execute("insert into delivery_recipients (delivery_id, user_id, batch_no, retry_key, status, sent_at) "
                        "select $d, unnest($u::varchar[]), 0, 'k', 'sent', now() - interval 1 minute",
                        {"d": f"wh-recent-{n}", "u": five})
        later = planning.plan_send(cur, rule, messages, **kwargs)
        assert later.recipients == house.recipients - 5
        assert dict((c, n) for c, n, _ in later.exclusions)["frequency_cap"] == \
            dict((c, n) for c, n, _ in house.exclusions)["frequency_cap"] + 5
        assert not set(five) & {r[0] for r in cur.execute(*later.query.user_ids()).fetchall()}
    finally:
        cur.execute("delete from delivery_recipients where delivery_id like 'wh-recent-%'")
        cur.execute("delete from deliveries where delivery_id like 'wh-recent-%'")
    assert planning.recount(cur, house) == house.recipients   # the ledger as it was: the same count again
    ledger = "select user_id, user_key, batch_no from delivery_recipients where delivery_id = $d order by user_id"
    try:
        for delivery_id, plan in (("wh-duck", duck), ("wh-house", house)):
            sending.plan(cur, delivery_id=delivery_id, source=plan.query, messages=messages, title="t")
        assert cur.execute(ledger, {"d": "wh-house"}).fetchall() == cur.execute(ledger, {"d": "wh-duck"}).fetchall()
        assert len(cur.execute(ledger, {"d": "wh-house"}).fetchall()) == house.recipients
        print(f"\nwarehouse difference: a send planned from the warehouse: {duck.audience} members, {duck.exclusions}, "
              f"{duck.recipients} recipients, the same ledger")
    finally:   # the other tests compare DuckDB with the warehouse, which never saw these two
        cur.execute("delete from delivery_recipients where delivery_id like 'wh-%'")
        cur.execute("delete from deliveries where delivery_id like 'wh-%'")
