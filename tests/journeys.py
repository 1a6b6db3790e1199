"""Hand-built friend journeys in a real DuckDB file, for query tests (PostHog funnel-test style).

    j = Journeys(tmp_path / "j.duckdb")
    j.friend("Aoi", "parcel_qr", "2026-03-02 21:00").tap("料金", "2026-03-03 12:00") \
        .buy("2026-03-06 20:00").block("2026-03-10 08:30")
    j.delivery("D1", "2026-03-04 12:00", sent_count=5)
    cur = j.cursor()          # rollups are refreshed first whenever something changed

Times are wall-clock strings in the account's time zone (Asia/Tokyo unless told), stored as
timestamptz like the loader does. Every value is bound as a parameter. The `friends` row is kept
the way the loader keeps it: followed_at = first follow, last_followed_at = latest follow,
blocked_at = latest block, is_following = the state after the latest follow/unfollow.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

from dashboard.analytics import rollups
from dashboard.core import storage

TZ = "Asia/Tokyo"


def at(text: str | dt.datetime, tz: str = TZ) -> dt.datetime:
    """'2026-03-02 21:00' (wall clock in tz) -> aware datetime."""
    if isinstance(text, dt.datetime):
        return text if text.tzinfo else text.replace(tzinfo=ZoneInfo(tz))
    return dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz))


class Friend:
    """One LINE user; every method records something they did and returns the friend again."""

    def __init__(self, journeys: "Journeys", name: str, key: int, route: str | None):
        self.j, self.name, self.key, self.route = journeys, name, key, route
        self.user_id = f"U{key:032x}"
        self.followed_at: dt.datetime | None = None
        self.last_followed_at: dt.datetime | None = None
        self.blocked_at: dt.datetime | None = None
        self.is_following = False

    # follow state -------------------------------------------------------------------------
    def follow(self, when) -> "Friend":
        """A follow: the first add, or a re-follow (unblock) after a block."""
        when = self.j.at(when)
        self.j.event(self, "follow", when)
        if self.followed_at is None:
            self.followed_at = when
            self.j.con.execute(
                "insert into friends (user_key, user_id, display_name, followed_at, last_followed_at, "
                "blocked_at, is_following, inflow_route) values ($k, $u, $n, $t, $t, null, true, $r)",
                {"k": self.key, "u": self.user_id, "n": self.name, "t": when, "r": self.route})
        if self.last_followed_at is None or when > self.last_followed_at:
            self.last_followed_at = when
        self._sync()
        return self

    def block(self, when) -> "Friend":
        """An unfollow event (= block)."""
        when = self.j.at(when)
        self.j.event(self, "unfollow", when)
        if self.blocked_at is None or when > self.blocked_at:
            self.blocked_at = when
        self._sync()
        return self

    def _sync(self) -> None:
        self.is_following = self.blocked_at is None or self.last_followed_at > self.blocked_at
        self.j.con.execute(
            "update friends set last_followed_at = $lf, blocked_at = $b, is_following = $f where user_key = $k",
            {"lf": self.last_followed_at, "b": self.blocked_at, "f": self.is_following, "k": self.key})

    # reactions and purchases ---------------------------------------------------------------
    def message(self, when, delivery: str | None = None) -> "Friend":
        self.j.event(self, "message", self.j.at(when), delivery_id=delivery)
        return self

    def postback(self, when, delivery: str | None = None, data: str | None = None) -> "Friend":
        self.j.event(self, "postback", self.j.at(when), delivery_id=delivery, detail=data)
        return self

    def click(self, when, delivery: str | None = None, label: str | None = None) -> "Friend":
        self.j.event(self, "link_click", self.j.at(when), delivery_id=delivery, detail=label)
        return self

    def tap(self, area: str | None, when) -> "Friend":
        """A rich-menu tap on an area (料金, クーポン …)."""
        self.j.event(self, "richmenu_tap", self.j.at(when), detail=area)
        return self

    def answer(self, answer: str | None, when) -> "Friend":
        """A survey answer."""
        self.j.event(self, "survey_answer", self.j.at(when), detail=answer)
        return self

    def buy(self, when, amount: int = 3980, type: str = "purchase") -> "Friend":
        self.j.event(self, type, self.j.at(when), amount=amount)
        return self


class Journeys:
    def __init__(self, path: Path | str, *, tz: str = TZ, active_days: int = 30):
        self.tz = tz
        self.active_days = active_days
        self.con = storage.connect(path, timezone=tz)
        self.friends: dict[str, Friend] = {}
        self._events = 0
        self._dirty = True

    def at(self, when) -> dt.datetime:
        return at(when, self.tz)

    # building ---------------------------------------------------------------------------------
    def friend(self, name: str, route: str | None, followed_at) -> Friend:
        """A new friend, first added at followed_at via route (None = unknown route)."""
        assert name not in self.friends, f"{name} already exists"
        friend = Friend(self, name, len(self.friends) + 1, route)
        self.friends[name] = friend
        return friend.follow(followed_at)

    def __getitem__(self, name: str) -> Friend:
        return self.friends[name]

    def event(self, friend: Friend, type: str, when: dt.datetime, *, delivery_id=None, detail=None,
              amount=None) -> None:
        self._events += 1
        payload = {"type": type, "timestamp": int(when.timestamp() * 1000),
                   "source": {"type": "user", "userId": friend.user_id}}
        self.con.execute(
            "insert into events (event_id, user_key, user_id, type, occurred_at, received_at, delivery_id, "
            "detail, amount, payload) values ($id, $k, $u, $type, $t, $t, $d, $detail, $amount, $payload)",
            {"id": f"ev{self._events:05d}", "k": friend.key, "u": friend.user_id, "type": type, "t": when,
             "d": delivery_id, "detail": detail, "amount": amount, "payload": json.dumps(payload)})
        self._dirty = True

    def delivery(self, delivery_id: str, sent_at, *, sent_count: int | None = None, to: list[str] = (),
                 kind: str = "broadcast", title: str | None = None, status: str = "sent",
                 is_promotion: bool = False) -> None:
        """One send. `to` names the recipients written to the send ledger (multicast); sent_count
        defaults to their number. sent_at None = not sent (a draft)."""
        sent = self.at(sent_at) if sent_at is not None else None
        count = len(to) if sent_count is None else sent_count
        self.con.execute(
            "insert into deliveries (delivery_id, kind, title, is_promotion, status, planned_count, sent_count, "
            "aggregation_unit, created_at, sent_at) values ($id, $kind, $title, $promo, $status, $n, $n, $id, "
            "coalesce($sent, current_timestamp), $sent)",
            {"id": delivery_id, "kind": kind, "title": title or delivery_id, "promo": is_promotion,
             "status": status, "n": count, "sent": sent})
        for name in to:
            friend = self.friends[name]
            self.con.execute(
                "insert into delivery_recipients (delivery_id, user_id, user_key, batch_no, retry_key, status, "
                "sent_at) values ($d, $u, $k, 0, $retry, 'sent', $sent)",
                {"d": delivery_id, "u": friend.user_id, "k": friend.key, "retry": f"retry-{delivery_id}-0",
                 "sent": sent})
        self._dirty = True

    def stats(self, delivery_id: str, day: str, *, unique_impressions: int | None,
              unique_clicks: int | None) -> None:
        """LINE Insight for one delivery and day (None = LINE reported under 20)."""
        self.con.execute(
            "insert into delivery_stats (delivery_id, day, impressions, unique_impressions, clicks, unique_clicks) "
            "values ($d, $day, $ui, $ui, $uc, $uc)",
            {"d": delivery_id, "day": dt.date.fromisoformat(day), "ui": unique_impressions,
             "uc": unique_clicks})

    def visits(self, day: str, route: str, visits: int) -> None:
        self.con.execute(
            "insert into site_visits (day, inflow_route, visits, source) values ($day, $r, $v, 'analytics')",
            {"day": dt.date.fromisoformat(day), "r": route, "v": visits})

    # reading ----------------------------------------------------------------------------------
    def connection(self):
        """The connection, with rollups rebuilt if anything changed since the last refresh."""
        if self._dirty:
            rollups.refresh(self.con, active_days=self.active_days)
            self._dirty = False
        return self.con

    def cursor(self):
        """A new cursor (what a page thread uses), after refreshing rollups."""
        return self.connection().cursor()

    def via(self, how: str):
        """'connection' or 'cursor': tests run the same question both ways."""
        return self.connection() if how == "connection" else self.cursor()
