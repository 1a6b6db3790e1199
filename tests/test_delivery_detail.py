"""One delivery in detail (issue 19.10), on hand-built journeys in a real DuckDB file."""
from __future__ import annotations

from dashboard.analytics import delivery_detail
from tests.journeys import Journeys


def test_detail_of_a_multicast_with_its_ledger_stats_and_what_followed(tmp_path):
    j = Journeys(tmp_path / "detail.duckdb")
    for name in ("Aoi", "Ren", "Sora"):
        j.friend(name, "parcel_qr", "2026-02-01 10:00")
    j.delivery("D1", "2026-03-10 12:00", to=["Aoi", "Ren", "Sora"], kind="multicast", title="春の新作")
    j.stats("D1", "2026-03-10", unique_impressions=None, unique_clicks=None)
    j["Aoi"].click("2026-03-10 12:30", delivery="D1").buy("2026-03-12 09:00")   # day 0 reactor, day 1 buyer
    j["Ren"].click("2026-03-11 13:00", delivery="D1").buy("2026-03-11 14:00")   # day 1 reactor: not a 24-h buyer
    j["Sora"].block("2026-03-13 08:00")                                         # day 2 (not attributable)
    found = delivery_detail.detail(j.cursor(), "D1")

    assert found["head"]["title"] == "春の新作" and found["head"]["status"] == "sent"
    assert delivery_detail.audience(found["head"]) == ("dlv.detail.audience.multicast", {})
    assert found["messages"] == []
    assert list(delivery_detail.batches_table(found["batches"]).itertuples(index=False, name=None)) == [(0, 3)]
    assert found["stats"]["unique_clicks"].isna().all()          # LINE: under 20
    after = found["after"].set_index("day_no")
    assert list(after["reactors"]) == [1, 1, 0, 0, 0, 0, 0]
    assert list(after["blocks"]) == [0, 0, 1, 0, 0, 0, 0]
    # Aoi reacted within 24 h and bought 21 h later: day 0 runs 03-10 12:00 to 03-11 12:00, so day 1
    assert list(after["buyers"]) == [0, 1, 0, 0, 0, 0, 0]
    assert delivery_detail.detail(j.cursor(), "nope") is None


def test_the_recipients_link_to_the_friend_page_not_delivered_first_masked_for_viewers(tmp_path):
    from dashboard.web import delivery_view

    j = Journeys(tmp_path / "recipients.duckdb")
    for name in ("Aoi", "Ren"):
        j.friend(name, "parcel_qr", "2026-02-01 10:00")
    j.delivery("D1", "2026-03-10 12:00", to=["Aoi", "Ren"], kind="multicast")
    j.con.execute("update delivery_recipients set status = 'failed', error = '400 invalid', sent_at = null "
                  "where user_id = $u", {"u": j["Ren"].user_id})
    found = delivery_detail.detail(j.cursor(), "D1")
    assert list(found["recipients"]["display_name"]) == ["Ren", "Aoi"]           # not delivered first
    shown = delivery_view.recipients_table(found["recipients"], "ja", "Asia/Tokyo", see_ids=False)
    assert list(shown["friend"]) == [f"friend?k={j['Ren'].key}", f"friend?k={j['Aoi'].key}"]
    assert list(shown["配信状況"]) == ["失敗", "送信済み"] and shown["エラー"].iloc[0] == "400 invalid"
    assert j["Aoi"].user_id not in set(shown["ユーザーID"])                        # a viewer sees masked IDs
    full = delivery_view.recipients_table(found["recipients"], "en", "Asia/Tokyo", see_ids=True)
    assert j["Aoi"].user_id in set(full["User ID"])
