"""Issue 12 point 6: one signing module, a derived key per purpose (dashboard/core/signing.py)."""
from __future__ import annotations

import hashlib
import hmac

from hypothesis import given, settings, strategies as st

from dashboard.intake import receiver, route_login
from dashboard.core import signing

SECRET = "one-secret-reused-for-everything"


def test_a_token_of_one_purpose_never_verifies_as_another():
    state = route_login.make_state(SECRET, "qr_flyer")
    assert route_login.read_state(SECRET, state) == "qr_flyer"
    assert receiver.read_link_token(SECRET, state) is None
    link = receiver.link_token(SECRET, "dlv_1", "U1", "https://shop.example.jp/")
    assert receiver.read_link_token(SECRET, link)["t"] == "https://shop.example.jp/"
    assert route_login.read_state(SECRET, link) is None
    # a state made the old way (raw secret, before keys were derived) no longer passes
    body = "qr_flyer.nonce"
    old = f"{body}.{signing.b64(hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).digest()[:16])}"
    assert route_login.read_state(SECRET, old) is None
    cookie = signing.seal(SECRET, "session_cookie", {"n": "alice"})
    assert signing.unseal(SECRET, "tracked_link", cookie) is None and signing.unseal(SECRET, "session_cookie", cookie)


def test_links_already_sent_with_the_raw_secret_keep_working():
    payload = signing.b64(b'{"d":"dlv_old","u":"","t":"https://shop.example.jp/sale"}')
    old = f"{payload}.{signing.b64(hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).digest()[:16])}"
    assert receiver.read_link_token(SECRET, old)["d"] == "dlv_old"


@settings(max_examples=100, deadline=None)
@given(payload=st.dictionaries(st.text(max_size=5), st.text(max_size=10), max_size=4),
       flip=st.integers(min_value=0, max_value=200))
def test_seal_round_trips_and_any_changed_character_is_refused(payload, flip):
    token = signing.seal(SECRET, "session_cookie", payload)
    assert signing.unseal(SECRET, "session_cookie", token) == payload
    i = flip % len(token)
    changed = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]
    assert signing.unseal(SECRET, "session_cookie", changed) in (None, payload)  # b64 padding bits may not change bytes
    assert signing.unseal(SECRET + "x", "session_cookie", token) is None


def test_every_hmac_in_the_product_goes_through_signing():
    """The wall: only signing.py (and LINE's own webhook signature) call hmac.new."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "dashboard"
    users = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py")
                   if "hmac.new(" in p.read_text(encoding="utf-8"))
    assert users == ["core/signing.py"]   # X-Line-Signature (LINE's own format) too: signing.line_signature
