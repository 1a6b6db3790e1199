"""Tracked links: rewritten per recipient (or per delivery) at send time, clicked, loaded."""
from __future__ import annotations

import json
from urllib.parse import urlparse

import pytest

from dashboard.messaging import links, planning, sending
from dashboard.intake import loader, receiver
from dashboard.line import api
from dashboard.core import storage

BASE = "https://line.example.jp"
MESSAGES = [
    {"type": "text", "text": "春のセール https://shop.example.jp/sale?c=1 をチェック"},
    {"type": "template", "altText": "セール", "template": {"type": "buttons", "text": "どうぞ",
     "actions": [{"type": "uri", "label": "見る", "uri": "https://shop.example.jp/item/9"}]}},
    {"type": "flex", "altText": "flex", "contents": {"type": "bubble", "body": {"type": "box", "layout": "vertical",
     "contents": [{"type": "text", "text": "https://not-a-link-in-flex.example"}]}}},
]


@pytest.fixture
def tracking(monkeypatch, tmp_path):
    monkeypatch.setenv("DASHBOARD_PUBLIC_BASE_URL", BASE)
    monkeypatch.setenv("DASHBOARD_LINK_SECRET", "link-secret")
    monkeypatch.setenv("DASHBOARD_TRACK_PER_USER_MAX", "3")
    monkeypatch.setenv("DASHBOARD_SECRETS_FILE", str(tmp_path / "none.toml"))


def tokens(messages) -> list[dict]:
    text = json.dumps(messages, ensure_ascii=False)
    found = []
    for part in text.split(BASE + "/r/")[1:]:
        token = part.split('"')[0].split(" ")[0]
        found.append(receiver.read_link_token("link-secret", token))
    return found


def test_rewrite_covers_text_and_actions_but_not_flex_text(tracking):
    out = links.rewrite(MESSAGES, "dlv-1", "U1")
    assert [t["t"] for t in tokens(out)] == ["https://shop.example.jp/sale?c=1", "https://shop.example.jp/item/9"]
    assert all(t["d"] == "dlv-1" and t["u"] == "U1" for t in tokens(out))
    assert out[2] == MESSAGES[2] and MESSAGES[0]["text"].startswith("春のセール https://shop")  # originals untouched
    assert links.rewrite(MESSAGES, "dlv-1", "U1") == out  # deterministic: a retry sends the same body
    assert links.mode(MESSAGES, 3) == "per_user" and links.mode(MESSAGES, 4) == "per_delivery"
    assert links.mode([{"type": "text", "text": "no link"}], 3) is None


def test_mode_off_without_public_url(monkeypatch, tmp_path):
    monkeypatch.setenv("DASHBOARD_SECRETS_FILE", str(tmp_path / "none.toml"))
    monkeypatch.delenv("DASHBOARD_PUBLIC_BASE_URL", raising=False)
    assert links.mode(MESSAGES, 1) is None


@pytest.mark.parametrize("recipients, mode, requests", [(3, "per_user", 3), (5, "per_delivery", 1)])
def test_sent_links_name_the_recipient_and_clicks_load_per_friend(tracking, demo_copy, sandbox, recipients, mode, requests):
    con = storage.connect(demo_copy)
    users = [r[0] for r in con.execute("select user_id from friends where is_following order by user_id limit $n",
                                       {"n": recipients}).fetchall()]
    assert links.mode(MESSAGES, len(users)) == mode
    sending.plan(con, delivery_id="d_links", user_ids=users, messages=MESSAGES, link_tracking=mode)
    clients = api.clients(sandbox.url, "token")
    try:
        assert sending.run(con, "d_links", clients).status == "sent"
    finally:
        clients.close()
    sent = sandbox.get("/sandbox/inbox")["requests"]
    assert len(sent) == requests
    for request in sent:
        found = tokens(request["messages"])
        assert len(found) == 2 and all(t["d"] == "d_links" for t in found)
        assert all(t["u"] == (found[0]["u"] if mode == "per_user" else "") for t in found)
    if mode == "per_user":
        assert sorted(tokens(r["messages"])[0]["u"] for r in sent) == sorted(users)
    # the stored delivery keeps the original messages
    stored = json.loads(con.execute("select messages from deliveries where delivery_id = 'd_links'").fetchone()[0])
    assert stored == MESSAGES
    # a click on the first recipient's link, through the receiver's spool, loads as their link_click
    first = tokens(sent[0]["messages"])[0]
    spool = demo_copy.parent / "spool"
    spool.mkdir()
    (spool / "20260101-00.jsonl").write_text(json.dumps({
        "kind": "link_click", "id": "c1", "received_at": "2026-11-24T01:00:00+00:00",
        "delivery_id": first["d"], "user_id": first["u"], "url": first["t"]}) + "\n")
    loader.load_all(con, spool)
    row = con.execute("select user_id, delivery_id, detail from events where type = 'link_click' "
                      "and event_id = 'click:c1'").fetchone()
    assert row == ((first["u"] or None), "d_links", "https://shop.example.jp/sale?c=1")
    con.close()


def test_compose_plan_names_the_tracking_mode(tracking, demo_copy):
    con = storage.connect(demo_copy)
    rule = {"version": 1, "rule": {"field": "following", "value": True}}
    plan = planning.plan_send(con.cursor(), rule, MESSAGES)
    expected = "per_user" if plan.recipients <= 3 else "per_delivery"
    assert plan.link_tracking == expected and plan.as_dict()["link_tracking"] == expected
    con.close()
