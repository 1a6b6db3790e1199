"""The check-up's rules (issue 16) against a plain-Python reading of the same account.

Hypothesis generates small accounts — friends who follow, block and come back through different
routes, broadcasts and multicasts (with a send ledger) and test sends, reactions to them, rich-menu
taps, quarantined events — writes them into a real DuckDB file with the journeys helper (rollups
refreshed as the loader would), and compares what each rule's SQL (queries/checkup/) finds with a
reference written here from the generated lists alone: who follows when, who got which message.
Explicit journeys then show each rule firing and not firing.
"""
from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

from dashboard.checkup import rules
from tests.journeys import Journeys

TZ = ZoneInfo("Asia/Tokyo")
AS_OF = dt.datetime(2026, 11, 24, tzinfo=TZ)
H = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
ROUTES = ("coupon_ad", "thanks_page", None)
AREAS = ("料金", "クーポン", "口コミ", "お問い合わせ")
REACTIONS = ("message", "link_click", "postback")


# ---- the generated account -------------------------------------------------------------------------

@dataclass
class Friend:
    name: str
    route: str | None
    follow: dt.datetime
    block: dt.datetime | None = None
    refollow: dt.datetime | None = None

    def following(self, t: dt.datetime) -> bool:
        """From the history itself: the latest follow or block before t was a follow."""
        if self.follow >= t:
            return False
        if self.block is None or self.block >= t:
            return True
        return self.refollow is not None and self.refollow < t


@dataclass
class Delivery:
    delivery_id: str
    kind: str                  # broadcast, multicast, test
    sent_at: dt.datetime
    promo: bool
    segment: str | None
    to: list[str] = field(default_factory=list)   # ledger recipients (multicast, test)
    sent_count: int = 0


@dataclass
class World:
    friends: list[Friend]
    deliveries: list[Delivery]
    reactions: list[tuple[str, str, str, dt.datetime]]   # (friend, delivery, type, at)
    taps: list[tuple[str, str, dt.datetime]]             # (friend, area, at)
    quarantined: list[dt.datetime]

    def friend(self, name: str) -> Friend:
        return next(f for f in self.friends if f.name == name)


@st.composite
def worlds(draw) -> World:
    # send times first (a third of them in the last week, where the weekly rules look), so that some
    # blocks can follow a send within hours: the block-spike rule has something to find
    recent = st.integers(1, 7 * 24)
    hours = draw(st.lists(st.one_of(recent, st.integers(1, 60 * 24)), min_size=0, max_size=12, unique=True))
    times = [AS_OF - h * H for h in sorted(hours, reverse=True)]
    n = draw(st.integers(1, 14))
    friends = []
    for i in range(n):
        follow = AS_OF - draw(st.integers(2, 60 * 24)) * H
        f = Friend(f"f{i}", draw(st.sampled_from(ROUTES)), follow)
        after = [t for t in times if t > follow]
        if after and draw(st.integers(0, 2)) == 0:
            f.block = draw(st.sampled_from(after)) + draw(st.integers(0, 30)) * H    # soon after a send
        elif draw(st.booleans()):
            f.block = follow + draw(st.integers(1, 20 * 24)) * H
        if f.block is not None and draw(st.integers(0, 3)) == 0:
            f.refollow = f.block + draw(st.integers(1, 10 * 24)) * H
        friends.append(f)
    deliveries = []
    for i, sent in enumerate(times):
        kind = draw(st.sampled_from(("broadcast", "broadcast", "multicast", "test")))
        d = Delivery(f"d{i:02d}", kind, sent, draw(st.booleans()), draw(st.sampled_from((None, "s1", "s2"))))
        reachable = [f.name for f in friends if f.following(sent)]
        if kind == "broadcast":
            d.segment = None
            d.sent_count = len(reachable)
        else:
            d.to = draw(st.lists(st.sampled_from(reachable), unique=True)) if reachable else []
            d.sent_count = len(d.to)
        deliveries.append(d)
    reactions = []
    for d in deliveries:
        chance = draw(st.integers(0, 4))           # each send draws its own share of reacting friends
        for f in friends:
            if draw(st.integers(0, 3)) < chance:
                reactions.append((f.name, d.delivery_id, draw(st.sampled_from(REACTIONS)),
                                  d.sent_at + draw(st.integers(0, 40)) * H))
    taps = [(draw(st.sampled_from([f.name for f in friends])), draw(st.sampled_from(AREAS)),
             AS_OF - draw(st.integers(1, 100 * 24)) * H)
            for _ in range(draw(st.integers(0, 25)))]
    quarantined = [AS_OF - draw(st.integers(1, 14 * 24)) * H for _ in range(draw(st.integers(0, 3)))]
    return World(friends, deliveries, reactions, taps, quarantined)


def build(world: World, path: Path):
    j = Journeys(path)
    for f in world.friends:
        friend = j.friend(f.name, f.route, f.follow)
        if f.block is not None:
            friend.block(f.block)
        if f.refollow is not None:
            friend.follow(f.refollow)
    for d in world.deliveries:
        j.delivery(d.delivery_id, d.sent_at, kind=d.kind, to=d.to, sent_count=d.sent_count, is_promotion=d.promo)
        if d.segment:
            j.con.execute("update deliveries set segment_id = $s where delivery_id = $d",
                          {"s": d.segment, "d": d.delivery_id})
    for name, delivery_id, kind, when in world.reactions:
        j.event(j[name], kind, when, delivery_id=delivery_id)
    for name, area, when in world.taps:
        j[name].tap(area, when)
    for i, when in enumerate(world.quarantined):
        j.con.execute("insert into ingest_quarantine (quarantined_at, file, line_no, reason, raw) "
                      "values ($t, 'x.jsonl', $n, 'bad json', '{')", {"t": when, "n": i})
    return j


# ---- the references: plain Python over the generated lists -------------------------------------------

CAMPAIGNS = ("broadcast", "multicast", "narrowcast")   # what an operator sends (not steps, tests, replies)


def sends(world: World, until: dt.datetime = AS_OF):
    """Deliveries to friends (no test sends) that sent something, before `until`."""
    return [d for d in world.deliveries if d.kind != "test" and d.sent_count > 0 and d.sent_at < until]


def ref_promotion_share(world: World, days: int, share: float):
    mine = [d for d in sends(world) if d.sent_at >= AS_OF - days * DAY and d.kind in CAMPAIGNS]
    promos = sum(d.promo for d in mine)
    return [(len(mine), promos)] if mine and promos / len(mine) > share else []


def reactors(world: World, d: Delivery) -> int:
    return len({name for name, did, _, at in world.reactions
                if did == d.delivery_id and d.sent_at <= at < d.sent_at + 24 * H})


def ref_reactions_falling(world: World, n: int):
    done = sorted((d for d in sends(world) if d.sent_at <= AS_OF - 24 * H),
                  key=lambda d: (d.sent_at, d.delivery_id))[-(n + 1):]
    rates = [reactors(world, d) / d.sent_count for d in done]
    fell = len(done) == n + 1 and all(b < a for a, b in zip(rates, rates[1:]))
    return [d.delivery_id for d in done] if fell else []


def blocks_within_24h(world: World, d: Delivery) -> int:
    events = [(f.name, f.block) for f in world.friends if f.block is not None]
    if d.kind == "broadcast":
        return sum(d.sent_at <= at < d.sent_at + 24 * H for _, at in events)
    return sum(name in d.to and d.sent_at <= at < d.sent_at + 24 * H for name, at in events)


def ref_block_spike(world: World, factor: float, least: int):
    recent_days, baseline_days = rules.SPIKE_RECENT_DAYS, rules.SPIKE_BASELINE_DAYS
    window = [d for d in sends(world) if d.sent_at >= AS_OF - (recent_days + baseline_days) * DAY]
    blocks = {d.delivery_id: blocks_within_24h(world, d) for d in window}

    def audience(d):
        return d.segment or f"kind:{d.kind}"

    found = []
    for r in (d for d in window if d.sent_at >= AS_OF - recent_days * DAY):
        before = [p for p in window if r.sent_at - baseline_days * DAY <= p.sent_at < r.sent_at]
        same = [p for p in before if audience(p) == audience(r)]
        basis = same or before
        if not basis:
            continue
        usual = sum(blocks[p.delivery_id] for p in basis) / sum(p.sent_count for p in basis)
        rate = blocks[r.delivery_id] / r.sent_count
        if blocks[r.delivery_id] >= least and rate > factor * usual:
            found.append((r.delivery_id, blocks[r.delivery_id], bool(same)))
    return sorted(found)


def ref_route_blocks(world: World, days: int, factor: float, least: int):
    adds = [f for f in world.friends if AS_OF - (days + 7) * DAY <= f.follow < AS_OF - 7 * DAY]
    per: dict[str, list[int]] = {}
    for f in adds:
        seen = per.setdefault(f.route or "unknown", [0, 0])
        seen[0] += 1
        seen[1] += f.block is not None and f.block - f.follow < 7 * DAY
    if not adds:
        return []
    account = sum(b for _, b in per.values()) / sum(a for a, _ in per.values())
    return sorted((route, a, b) for route, (a, b) in per.items() if a >= least and b > 0 and b / a > factor * account)


def received(world: World, f: Friend, start: dt.datetime | None, end: dt.datetime) -> int:
    """Messages that reached `f` in [start, end): broadcasts while following, ledger rows (no tests)."""
    got = 0
    for d in sends(world, end):
        if start is not None and d.sent_at < start:
            continue
        got += f.following(d.sent_at) if d.kind == "broadcast" else f.name in d.to
    return got


def ref_silent_friends(world: World, days: int):
    old = [f for f in world.friends if f.follow < AS_OF - days * DAY and f.following(AS_OF)]
    silent = [f for f in old if received(world, f, None, AS_OF) == 0]
    return [(len(silent), len(old))] if silent else []


def ref_heavy_receivers(world: World, n: int):
    counts = [received(world, f, AS_OF - 7 * DAY, AS_OF) for f in world.friends if f.following(AS_OF)]
    heavy = sum(c > n for c in counts)
    return [(heavy, len(counts), max(counts))] if heavy else []


def ref_menu_area(world: World, days: int, known_days: int, share: float):
    def day(t):
        return t.astimezone(TZ).date()

    last = day(AS_OF)
    known = {area for _, area, at in world.taps if day(AS_OF - known_days * DAY) <= day(at) < last}
    recent = [area for _, area, at in world.taps if day(AS_OF - days * DAY) <= day(at) < last]
    total = sum(area in known for area in recent)
    if not total:
        return []
    return sorted((area, recent.count(area), total) for area in known if recent.count(area) / total < share)


def ref_quarantined(world: World, days: int):
    mine = [t for t in world.quarantined if AS_OF - days * DAY <= t < AS_OF]
    return [len(mine)] if mine else []


# ---- SQL against the references ---------------------------------------------------------------------

thresholds = st.fixed_dictionaries({
    "promotion_share": st.sampled_from((0.0, 0.3, 0.5, 0.8)),
    "falling_deliveries": st.integers(1, 3),
    "spike_factor": st.sampled_from((0.0, 1.0, 1.5, 2.0)),
    "spike_min_blocks": st.integers(1, 2),
    "route_factor": st.sampled_from((0.5, 1.0, 1.2)),
    "route_min_adds": st.integers(1, 3),
    "silent_days": st.sampled_from((1, 7, 21)),
    "weekly_messages": st.integers(0, 3),
    "menu_share": st.sampled_from((0.1, 0.3, 0.5)),
    "loader_lag_minutes": st.just(10.0),
})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(world=worlds(), th=thresholds)
def test_every_rule_finds_what_the_reference_finds(world, th):
    with tempfile.TemporaryDirectory() as folder:
        j = build(world, Path(folder) / "w.duckdb")
        cur = j.cursor()
        try:
            got = [(f.evidence["sends"], f.evidence["promotions"]) for f in rules.promotion_share(cur, AS_OF, th)]
            expected = ref_promotion_share(world, rules.PROMOTION_DAYS, th["promotion_share"])
            event(f"promotion_share {'fires' if expected else 'quiet'}")
            assert got == expected

            got = [d["delivery_id"] for f in rules.reactions_falling(cur, AS_OF, th) for d in f.evidence["deliveries"]]
            expected = ref_reactions_falling(world, th["falling_deliveries"])
            event(f"reactions_falling {'fires' if expected else 'quiet'}")
            assert got == expected

            got = sorted((f.subject, f.evidence["blocks_24h"], f.evidence["audience_baseline"])
                         for f in rules.block_spike(cur, AS_OF, th))
            expected = ref_block_spike(world, th["spike_factor"], th["spike_min_blocks"])
            event(f"block_spike {'fires' if expected else 'quiet'}")
            assert got == expected

            got = sorted((f.subject, f.evidence["adds"], f.evidence["blocked"]) for f in rules.route_blocks(cur, AS_OF, th))
            expected = ref_route_blocks(world, rules.ROUTE_ADD_DAYS, th["route_factor"], th["route_min_adds"])
            event(f"route_blocks {'fires' if expected else 'quiet'}")
            assert got == expected

            got = [(f.evidence["silent"], f.evidence["followed_before"]) for f in rules.silent_friends(cur, AS_OF, th)]
            expected = ref_silent_friends(world, th["silent_days"])
            event(f"silent_friends {'fires' if expected else 'quiet'}")
            assert got == expected

            got = [(f.evidence["heavy"], f.evidence["following"], f.evidence["most"])
                   for f in rules.heavy_receivers(cur, AS_OF, th)]
            expected = ref_heavy_receivers(world, th["weekly_messages"])
            event(f"heavy_receivers {'fires' if expected else 'quiet'}")
            assert got == expected

            got = sorted((f.subject, f.evidence["taps"], f.evidence["all_taps"]) for f in rules.menu_area(cur, AS_OF, th))
            expected = ref_menu_area(world, rules.MENU_DAYS, rules.MENU_KNOWN_DAYS, th["menu_share"])
            event(f"menu_area {'fires' if expected else 'quiet'}")
            assert got == expected

            spool = Path(folder) / "spool"   # empty: only the quarantine half can fire
            import os

            os.environ["DASHBOARD_SPOOL"] = str(spool)
            try:
                got = [f.evidence["quarantined"] for f in rules.loader_state(cur, AS_OF, th, now=AS_OF)]
            finally:
                del os.environ["DASHBOARD_SPOOL"]
            expected = ref_quarantined(world, rules.QUARANTINE_DAYS)
            event(f"quarantined {'fires' if expected else 'quiet'}")
            assert got == expected
        finally:
            cur.close()
            j.con.close()


# ---- each rule fires, and does not, on journeys worked out by hand -----------------------------------

DEFAULTS = {"promotion_share": 0.5, "falling_deliveries": 3, "spike_factor": 2.0, "spike_min_blocks": 10,
            "route_factor": 2.0, "route_min_adds": 30, "silent_days": 21, "weekly_messages": 3, "menu_share": 0.03,
            "loader_lag_minutes": 10.0}


def test_the_defaults_are_the_settings():
    assert rules.thresholds() == DEFAULTS


def _run(world: World, tmp_path: Path, check, **th):
    j = build(world, tmp_path / f"{check.__name__}-{len(list(tmp_path.iterdir()))}.duckdb")
    try:
        return check(j.cursor(), AS_OF, {**DEFAULTS, **th})
    finally:
        j.con.close()


def _friends(n: int, days_ago: float, route=None, prefix="f") -> list[Friend]:
    return [Friend(f"{prefix}{i}", route, AS_OF - days_ago * DAY - i * H) for i in range(n)]


def _broadcasts(world_friends, days_ago: list[float], promos: list[bool]) -> list[Delivery]:
    found = []
    for i, (ago, promo) in enumerate(zip(days_ago, promos)):
        sent = AS_OF - ago * DAY
        found.append(Delivery(f"b{i:02d}", "broadcast", sent, promo, None,
                              sent_count=sum(f.following(sent) for f in world_friends)))
    return found


def test_promotion_share_fires_above_the_share_only(tmp_path):
    fs = _friends(3, 40)
    many = World(fs, _broadcasts(fs, [20, 10, 5, 2], [True, True, True, False]), [], [], [])
    few = World(fs, _broadcasts(fs, [20, 10, 5, 2], [True, True, False, False]), [], [], [])
    old = World(fs, _broadcasts(fs, [35, 33, 5, 2], [True, True, False, False]), [], [], [])
    assert [f.evidence["share"] for f in _run(many, tmp_path, rules.promotion_share)] == [0.75]
    assert _run(few, tmp_path, rules.promotion_share) == []        # 50 % is not above 50 %
    assert _run(old, tmp_path, rules.promotion_share) == []        # promotions older than 30 days
    # a welcome scenario's many small step deliveries do not hide the promotions (issue 14 with 16)
    steps = [Delivery(f"s{i:02d}", "step", AS_OF - (i + 1) * H, False, None, sent_count=1) for i in range(20)]
    with_steps = World(fs, _broadcasts(fs, [20, 10, 5, 2], [True, True, True, False]) + steps, [], [], [])
    assert [f.evidence["share"] for f in _run(with_steps, tmp_path, rules.promotion_share)] == [0.75]


def test_reactions_falling_needs_every_step_down(tmp_path):
    fs = _friends(10, 40)
    ds = _broadcasts(fs, [8, 6, 4, 2], [False] * 4)

    def world(reacting: list[int]):
        return World(fs, ds, [(f"f{k}", d.delivery_id, "message", d.sent_at + H)
                              for d, n in zip(ds, reacting) for k in range(n)], [], [])

    assert len(_run(world([8, 6, 4, 2]), tmp_path, rules.reactions_falling)) == 1
    assert _run(world([8, 6, 6, 2]), tmp_path, rules.reactions_falling) == []       # one step level
    assert _run(world([8, 6, 4, 2]), tmp_path, rules.reactions_falling, falling_deliveries=4) == []  # 4 falls need 5


def test_block_spike_compares_with_the_same_audience(tmp_path):
    fs = _friends(200, 60)
    ds = _broadcasts(fs, [30, 20, 10, 3], [False] * 4)
    for f in fs[:1]:
        f.block = ds[0].sent_at + H            # the usual: 1 block after each earlier send
    fs[1].block, fs[2].block = ds[1].sent_at + H, ds[2].sent_at + H
    for f in fs[10:22]:
        f.block = ds[3].sent_at + 2 * H        # 12 blocks after the last one
    found = _run(World(fs, ds, [], [], []), tmp_path, rules.block_spike)
    assert [(f.subject, f.evidence["blocks_24h"], f.evidence["audience_baseline"]) for f in found] == [("b03", 12, True)]
    assert _run(World(fs, ds, [], [], []), tmp_path, rules.block_spike, spike_min_blocks=13) == []
    assert _run(World(fs, ds, [], [], []), tmp_path, rules.block_spike, spike_factor=100.0) == []


def test_route_blocks_fires_for_the_route_far_above_the_account(tmp_path):
    coupon = _friends(40, 20, "coupon_ad", "c")
    for f in coupon[:20]:
        f.block = f.follow + 2 * DAY           # half block within a week
    thanks = _friends(160, 20, "thanks_page", "t")
    for f in thanks[:4]:
        f.block = f.follow + 3 * DAY
    found = _run(World(coupon + thanks, [], [], [], []), tmp_path, rules.route_blocks)
    assert [(f.subject, f.evidence["adds"], f.evidence["blocked"]) for f in found] == [("coupon_ad", 40, 20)]
    assert _run(World(coupon + thanks, [], [], [], []), tmp_path, rules.route_blocks, route_min_adds=41) == []
    assert _run(World(thanks, [], [], [], []), tmp_path, rules.route_blocks) == []


def test_silent_friends_are_old_friends_that_got_nothing(tmp_path):
    old, new = _friends(3, 30, prefix="o"), _friends(2, 10, prefix="n")
    silent = World(old + new, [], [], [], [])
    found = _run(silent, tmp_path, rules.silent_friends)
    assert [(f.evidence["silent"], f.evidence["followed_before"]) for f in found] == [(3, 3)]
    greeted = World(old + new, [Delivery("m1", "multicast", AS_OF - 25 * DAY, False, None, [f.name for f in old], 3)],
                    [], [], [])
    assert _run(greeted, tmp_path, rules.silent_friends) == []
    tested = World(old + new, [Delivery("t1", "test", AS_OF - 25 * DAY, False, None, [f.name for f in old], 3)], [], [], [])
    assert len(_run(tested, tmp_path, rules.silent_friends)) == 1          # a test send greets nobody


def test_heavy_receivers_count_broadcasts_and_ledger_rows(tmp_path):
    fs = _friends(5, 30)
    four = _broadcasts(fs, [6, 5, 3, 1], [False] * 4)
    found = _run(World(fs, four, [], [], []), tmp_path, rules.heavy_receivers)
    assert [(f.evidence["heavy"], f.evidence["most"]) for f in found] == [(5, 4)]
    three = _broadcasts(fs, [6, 5, 3], [False] * 3)
    assert _run(World(fs, three, [], [], []), tmp_path, rules.heavy_receivers) == []
    plus_one = three + [Delivery("m1", "multicast", AS_OF - 2 * DAY, False, "s1", ["f0"], 1)]
    found = _run(World(fs, plus_one, [], [], []), tmp_path, rules.heavy_receivers)
    assert [(f.evidence["heavy"], f.evidence["most"]) for f in found] == [(1, 4)]


def test_menu_area_nobody_taps(tmp_path):
    fs = _friends(2, 60)
    taps = [("f0", "料金", AS_OF - (1 + i % 20) * DAY) for i in range(50)]
    taps += [("f1", "お問い合わせ", AS_OF - 50 * DAY), ("f1", "お問い合わせ", AS_OF - 5 * DAY)]
    found = _run(World(fs, [], [], taps, []), tmp_path, rules.menu_area)
    assert [(f.subject, f.evidence["taps"], f.evidence["all_taps"]) for f in found] == [("お問い合わせ", 1, 51)]
    assert _run(World(fs, [], [], taps, []), tmp_path, rules.menu_area, menu_share=0.01) == []


def test_loader_behind_and_quarantine(tmp_path, monkeypatch):
    import os

    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setenv("DASHBOARD_SPOOL", str(spool))
    world = World(_friends(1, 5), [], [], [], [AS_OF - 2 * DAY])
    assert [f.subject for f in _run(world, tmp_path, lambda c, a, th: rules.loader_state(c, a, th, now=AS_OF))] == ["quarantine"]
    waiting = spool / "20261123-10.jsonl"
    waiting.write_text('{"events": []}\n', encoding="utf-8")
    os.utime(waiting, (AS_OF.timestamp() - 3600, AS_OF.timestamp() - 3600))   # waited an hour
    found = _run(World(_friends(1, 5), [], [], [], []), tmp_path, lambda c, a, th: rules.loader_state(c, a, th, now=AS_OF))
    assert [f.subject for f in found] == ["behind"] and found[0].evidence["lag_minutes"] == pytest.approx(60)
    fresh = _run(World(_friends(1, 5), [], [], [], []), tmp_path,
                 lambda c, a, th: rules.loader_state(c, a, th, now=AS_OF - 55 * dt.timedelta(minutes=1)))
    assert fresh == []                          # waited 5 minutes: under the 10 of the setting


def test_quota_runout_free_messages_and_the_limit(tmp_path):
    """A known month: 1,000 messages by the 10th (of 30 days) → 3,000 at month end."""
    fs = _friends(1000, 40)
    ds = [Delivery("b0", "broadcast", dt.datetime(2026, 11, 5, 12, tzinfo=TZ), False, None, sent_count=1000)]
    as_of = dt.datetime(2026, 11, 11, tzinfo=TZ)

    def run(plan: str, limit: int | None):
        j = build(World(fs, ds, [], [], []), tmp_path / f"q-{plan}-{limit}.duckdb")
        if limit is not None:
            j.con.execute("insert into line_quota (checked_at, quota_type, quota_value, total_usage) "
                          "values ($t, 'limited', $v, 1000)", {"t": as_of, "v": limit})
        import os

        os.environ["DASHBOARD_PLAN"] = plan
        try:
            return rules.quota_runout(j.cursor(), as_of, DEFAULTS)
        finally:
            del os.environ["DASHBOARD_PLAN"]
            j.con.close()

    light = run("light", 2000)                 # light: LINE stops at the limit, no extra messages
    assert [(f.subject, f.evidence["forecast"], f.evidence["runs_out_on"]) for f in light] == [("limit", 3000, "2026-11-21")]
    assert run("light", 5000) == []
    assert run("standard", 40000) == []        # 3,000 of 30,000 free


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reacting=st.one_of(st.lists(st.integers(0, 6), min_size=1, max_size=6),
                         st.lists(st.integers(0, 6), min_size=1, max_size=6, unique=True).map(lambda r: sorted(r)[::-1])),
       n=st.integers(1, 4),
       young=st.booleans(), data=st.data())
def test_reactions_falling_against_the_reference_on_steady_friends(reacting, n, young, data):
    """Friends who all follow throughout; each send has its own number of reacting friends (and the
    newest may be under 24 h old, still collecting reactions)."""
    fs = [Friend(f"f{i}", None, AS_OF - 60 * DAY) for i in range(6)]
    ds = _broadcasts(fs, [2 * (len(reacting) - i) + (0 if young and i == len(reacting) - 1 else 0.5) - 1.5
                          for i in range(len(reacting))], [False] * len(reacting))
    world = World(fs, ds, [(f"f{k}", d.delivery_id, data.draw(st.sampled_from(REACTIONS)), d.sent_at + H)
                           for d, r in zip(ds, reacting) for k in range(r)], [], [])
    expected = ref_reactions_falling(world, n)
    event(f"reactions_falling {'fires' if expected else 'quiet'}")
    with tempfile.TemporaryDirectory() as folder:
        j = build(world, Path(folder) / "w.duckdb")
        try:
            got = [d["delivery_id"] for f in rules.reactions_falling(j.cursor(), AS_OF, {**DEFAULTS, "falling_deliveries": n})
                   for d in f.evidence["deliveries"]]
        finally:
            j.con.close()
    assert got == expected
