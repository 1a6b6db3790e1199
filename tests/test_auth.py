"""Log-in, roles, sessions and OIDC roles (dashboard/access/: roles, passwords, logins, sessions, oidc), and the log-in routes
(dashboard/access/login_routes.py) served by a real uvicorn server on loopback."""
from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
import threading
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from dashboard.core import audit, signing, storage
from dashboard.access import auth, logins, sessions
from dashboard.line.sandbox_process import ROOT, free_port

COOKIE_SECRET = "a-cookie-secret-for-tests-only-0123456789"
PASSWORDS = {"alice": "alice-password-1", "olga": "olga-password-1", "vic": "vic-password-1",
             "ada": "ada-password-1"}
ROLES = {"alice": "sender", "olga": "operator", "vic": "viewer", "ada": "admin"}
T0 = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def hashes() -> dict[str, str]:
    return {name: auth.hash_password(pw) for name, pw in PASSWORDS.items()}


def write_secrets(path, hashes, roles=ROLES, extra: str = "") -> None:
    lines = [extra]
    for name, role in roles.items():
        lines += [f'[users."{name}"]', f'password_hash = "{hashes[name]}"', f'role = "{role}"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture
def secrets_file(tmp_path, monkeypatch, hashes):
    path = tmp_path / "secrets.toml"
    write_secrets(path, hashes)
    monkeypatch.setenv("DASHBOARD_SECRETS_FILE", str(path))
    monkeypatch.setenv("DASHBOARD_COOKIE_SECRET", COOKIE_SECRET)
    monkeypatch.setenv("DASHBOARD_LOGIN_MAX_FAILURES", "5")
    monkeypatch.setenv("DASHBOARD_SESSION_MINUTES", "60")
    return path


@pytest.fixture
def cur(tmp_path, monkeypatch):
    db = tmp_path / "x.duckdb"
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    con = storage.connect(db)
    cursor = con.cursor()
    yield cursor
    cursor.close()
    con.close()


# ---- passwords ----------------------------------------------------------------------------------

def test_hash_and_verify_round_trip_and_a_wrong_password(hashes):
    stored = hashes["alice"]
    assert stored.startswith("scrypt$16384$8$1$")
    assert auth.verify_password("alice-password-1", stored)
    assert not auth.verify_password("alice-password-2", stored)
    assert not auth.verify_password("", stored)
    assert auth.hash_password("same") != auth.hash_password("same"), "a fresh salt every time"


def test_a_malformed_or_greedy_hash_is_a_clear_error_without_its_value():
    with pytest.raises(auth.AuthConfigError, match="not a scrypt hash") as err:
        auth.verify_password("x", "bcrypt$2b$whatever")
    assert "whatever" not in str(err.value)
    with pytest.raises(auth.AuthConfigError, match="out-of-range"):
        auth.verify_password("x", "scrypt$1073741824$8$1$AAAA$AAAA")


# ---- roles --------------------------------------------------------------------------------------

EXPECTED = {
    "viewer": {"view"},
    "operator": {"view", "see_user_ids", "export", "edit_segments", "tag_friends", "draft", "test_send", "import",
                 "sync"},
    "sender": {"view", "see_user_ids", "export", "edit_segments", "tag_friends", "draft", "test_send", "import", "sync",
               "send", "approve"},
    "admin": set(auth.ACTIONS),
}


@pytest.mark.parametrize("role", auth.ROLES)
def test_permission_matrix(role):
    for action in auth.ACTIONS:
        assert auth.allowed(role, action) == (action in EXPECTED[role]), (role, action)
        user = auth.User("someone", role, "local")
        if action in EXPECTED[role]:
            assert auth.require(user, action) is user
        else:
            with pytest.raises(auth.PermissionDenied, match=f"may not {action}"):
                auth.require(user, action)


def test_require_without_a_user_and_unknown_actions():
    with pytest.raises(auth.PermissionDenied, match="log in"):
        auth.require(None, "view")
    assert not auth.allowed(None, "view")
    with pytest.raises(KeyError):
        auth.allowed("admin", "launch_rockets")


def test_pages_per_role():
    assert auth.pages_for("viewer") == ["overview", "acquisition", "funnel", "cohorts", "engagement",
                                        "deliveries", "segments", "friend", "crosstab", "send_time"]
    assert "data" in auth.pages_for("operator")
    assert "compose" in auth.pages_for("operator")
    assert "audit" not in auth.pages_for("sender")
    assert auth.pages_for("admin") == list(auth.PAGES)
    assert auth.pages_for(None) == []


# ---- local accounts -----------------------------------------------------------------------------

def test_local_users_are_validated(secrets_file, hashes):
    users = auth.local_users()
    assert users["alice"] == {"password_hash": hashes["alice"], "role": "sender"}
    assert auth.login_configured()
    write_secrets(secrets_file, hashes, {"alice": "superuser"})
    with pytest.raises(auth.AuthConfigError, match=r"\[users.alice\] role 'superuser' is not one of"):
        auth.local_users()


def test_no_login_configured(tmp_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_SECRETS_FILE", str(tmp_path / "none.toml"))
    assert not auth.login_configured()
    (tmp_path / "oidc.toml").write_text('[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\n')
    monkeypatch.setenv("DASHBOARD_SECRETS_FILE", str(tmp_path / "oidc.toml"))
    assert auth.login_configured() and auth.oidc_configured()


# ---- check_login and rate limiting --------------------------------------------------------------

def test_a_right_and_a_wrong_password_are_both_recorded_and_the_password_never_is(secrets_file, cur):
    ok = auth.check_login(cur, "alice", PASSWORDS["alice"], "10.0.0.1", now=T0)
    assert ok.ok and ok.user == auth.User("alice", "sender", "local")
    bad = auth.check_login(cur, "alice", "guess-number-one", "10.0.0.1", now=T0)
    assert not bad.ok and not bad.rate_limited and "wrong user name or password" in bad.message
    unknown = auth.check_login(cur, "mallory", "guess-number-two", "10.0.0.1", now=T0)
    assert not unknown.ok and unknown.message == bad.message, "same answer for unknown names"
    # a password typed into the name field: the unknown name is stored only as a hash (issue 12)
    typed = auth.check_login(cur, PASSWORDS["olga"], "", "10.0.0.1", now=T0)
    assert not typed.ok
    attempts = cur.execute("select username, ok, client from login_attempts order by ok desc, username").fetchall()
    hashed = sorted(auth.stored_name(n, {}) for n in ("mallory", PASSWORDS["olga"]))
    assert attempts == [("alice", True, "10.0.0.1"), ("alice", False, "10.0.0.1"),
                        *[(h, False, "10.0.0.1") for h in hashed]]
    assert all(h.startswith("unknown:") for h in hashed)
    log = audit.search(cur)
    assert sorted(log["action"]) == ["login", "login_failed", "login_failed", "login_failed"]
    everything = " ".join(str(v) for row in cur.execute("select * from audit_log").fetchall() for v in row)
    everything += " ".join(str(v) for row in cur.execute("select * from login_attempts").fetchall() for v in row)
    for secret in (PASSWORDS["alice"], PASSWORDS["olga"], "mallory", "guess-number-one", "guess-number-two", "scrypt$"):
        assert secret not in everything


def test_a_name_is_limited_and_an_address_backs_off_instead_of_locking_out(secrets_file, cur):
    for i in range(5):
        assert not auth.check_login(cur, "alice", "wrong", "10.0.0.1", now=T0 + dt.timedelta(minutes=i)).ok
    refused = auth.check_login(cur, "alice", PASSWORDS["alice"], "10.0.0.2", now=T0 + dt.timedelta(minutes=6))
    assert not refused.ok and refused.rate_limited
    # the oldest failure (minute 0) leaves the window at minute 15; refusals do not extend it
    assert refused.retry_at == T0 + dt.timedelta(minutes=15)
    assert "try again after 12:15:00" in refused.message    # 03:15 UTC in Asia/Tokyo
    # the office address is not locked: another person there gets in once the short backoff passed
    # (5 failures: 1 s after the last one)
    assert auth.check_login(cur, "olga", PASSWORDS["olga"], "10.0.0.1", now=T0 + dt.timedelta(minutes=6)).ok
    # but a guesser at one address slows down: 1 s, 2 s, 4 s … after each further failure
    at = T0 + dt.timedelta(minutes=7)
    assert not auth.check_login(cur, "olga", "wrong", "10.0.0.1", now=at).rate_limited   # 6th failure
    quick = auth.check_login(cur, "olga", PASSWORDS["olga"], "10.0.0.1", now=at + dt.timedelta(seconds=1))
    assert quick.rate_limited and quick.retry_at == at + dt.timedelta(seconds=2)
    assert auth.check_login(cur, "olga", PASSWORDS["olga"], "10.0.0.1", now=at + dt.timedelta(seconds=2)).ok
    # once the failures leave the 15-minute window, the right password works again
    later = T0 + dt.timedelta(minutes=40)
    assert auth.check_login(cur, "alice", PASSWORDS["alice"], "10.0.0.2", now=later).ok
    # refused attempts are not written as attempts, and reach the audit log once per name and address
    assert cur.execute("select count(*) from login_attempts where not ok").fetchone()[0] == 6
    reasons = cur.execute("select count(*) from audit_log where detail->>'reason' = 'rate_limited'").fetchone()[0]
    assert reasons == 2


def test_failed_log_ins_in_the_audit_log_are_capped_per_minute(secrets_file, cur, monkeypatch):
    monkeypatch.setattr(logins, "AUDIT_FAILURES_PER_MINUTE", 3)
    monkeypatch.setitem(logins._audit_budget, "minute", None)
    for i in range(8):   # eight names from eight addresses in one minute
        auth.check_login(cur, f"bot{i}", "x", f"10.1.0.{i}", now=T0 + dt.timedelta(seconds=i))
    assert cur.execute("select count(*) from audit_log where action = 'login_failed'").fetchone()[0] == 3
    auth.check_login(cur, "bot9", "x", "10.1.0.9", now=T0 + dt.timedelta(minutes=1))
    last = cur.execute("select detail->>'not_logged_before' from audit_log order by \"at\" desc limit 1").fetchone()[0]
    assert last == "5"


# ---- session cookies ----------------------------------------------------------------------------

def test_cookie_round_trip_tampering_and_idle_expiry(secrets_file):
    value = auth.make_session_cookie("alice", "sender", T0)
    session = auth.read_session_cookie(value, T0 + dt.timedelta(minutes=59))
    assert (session.name, session.role, session.issued, session.last_seen) == ("alice", "sender", T0, T0)
    assert auth.read_session_cookie(value, T0 + dt.timedelta(minutes=61)) is None, "idle longer than 60 min"
    body, signature = value.split(".")
    forged = signing.b64(signing.unb64(body).replace(b'"sender"', b'"admin"'))
    assert auth.read_session_cookie(forged + "." + signature, T0) is None
    assert auth.read_session_cookie(body + "." + signature[:-2] + "AA", T0) is None
    assert auth.read_session_cookie("garbage", T0) is None and auth.read_session_cookie(None, T0) is None


def test_a_cookie_signed_with_another_secret_is_refused(secrets_file, monkeypatch):
    value = auth.make_session_cookie("alice", "sender", T0)
    monkeypatch.setenv("DASHBOARD_COOKIE_SECRET", "another-secret-of-enough-length")
    assert auth.read_session_cookie(value, T0) is None
    monkeypatch.setenv("DASHBOARD_COOKIE_SECRET", "short")
    with pytest.raises(auth.AuthConfigError, match="at least 16"):
        auth.make_session_cookie("alice", "sender", T0)


def test_live_sessions_follow_the_accounts(secrets_file, hashes):
    value = auth.make_session_cookie("olga", "operator", T0)
    assert auth.session_from_cookie(value, T0).role == "operator"
    # an admin promotes olga: her next page run has the new role without logging in again
    write_secrets(secrets_file, hashes, {**ROLES, "olga": "sender"})
    assert auth.session_from_cookie(value, T0).role == "sender"
    # a new password ends every session of the account
    write_secrets(secrets_file, {**hashes, "olga": auth.hash_password("new-password-1")}, ROLES)
    assert auth.session_from_cookie(value, T0) is None
    write_secrets(secrets_file, hashes, {k: v for k, v in ROLES.items() if k != "olga"})
    assert auth.session_from_cookie(value, T0) is None, "a removed account"


def test_page_activity_slides_the_session_and_logout_ends_it(secrets_file):
    issued = T0 - dt.timedelta(days=1)
    value = auth.make_session_cookie("vic", "viewer", issued)
    session = auth.session_from_cookie(value, issued + dt.timedelta(minutes=50))
    auth.note_activity(session, issued + dt.timedelta(minutes=50))      # a rerun over the websocket
    later = issued + dt.timedelta(minutes=100)                           # 100 min after the cookie's time
    assert auth.read_session_cookie(value, later) is None                # the cookie alone is too old,
    assert auth.session_from_cookie(value, later).name == "vic"          # but the page was active
    fresh = auth.refreshed_cookie(value, later)
    assert auth.read_session_cookie(fresh, later).last_seen == later
    assert auth.read_session_cookie(fresh, later).issued == issued
    assert auth.refreshed_cookie(fresh, later + dt.timedelta(minutes=1)) is None, "young cookies are left alone"
    auth.end_session(session)
    assert auth.session_from_cookie(fresh, later) is None


# ---- OIDC and who is using the dashboard --------------------------------------------------------

def test_oidc_roles_exact_address_wins_over_domain(monkeypatch):
    monkeypatch.setenv("DASHBOARD_OIDC_ROLES", "@example.jp=viewer, boss@example.jp=admin ,ops@example.jp=sender")
    assert auth.oidc_role("boss@example.jp") == "admin"
    assert auth.oidc_role("Boss@Example.JP") == "admin"
    assert auth.oidc_role("someone@example.jp") == "viewer"
    assert auth.oidc_role("ops@example.jp") == "sender"
    assert auth.oidc_role("boss@sub.example.jp") is None, "a domain does not cover its subdomains"
    assert auth.oidc_role("x@evil-example.jp") is None
    assert auth.oidc_role(None) is None and auth.oidc_role("no-at-sign") is None
    monkeypatch.setenv("DASHBOARD_OIDC_ROLES", "@example.jp=owner")
    with pytest.raises(auth.AuthConfigError, match="DASHBOARD_OIDC_ROLES entry '@example.jp=owner'"):
        auth.oidc_role("a@example.jp")


def test_resolve_order(secrets_file, monkeypatch, tmp_path):
    monkeypatch.setenv("DASHBOARD_OIDC_ROLES", "@example.jp=operator")
    local = dict(server_address="127.0.0.1", client_is_local=True, now=T0)
    oidc = {"is_logged_in": True, "email": "Kim@example.jp"}
    assert auth.resolve(oidc=oidc, cookie=None, **local) == auth.Status(auth.User("kim@example.jp", "operator", "oidc"), "ok")
    assert auth.resolve(oidc={**oidc, "email": "x@other.jp"}, cookie=None, **local).reason == "oidc_unmapped"
    assert auth.resolve(oidc={**oidc, "email_verified": False}, cookie=None, **local).reason == "oidc_unmapped"
    cookie = auth.make_session_cookie("ada", "admin", T0)
    assert auth.resolve(oidc={"is_logged_in": False}, cookie=cookie, **local).user == auth.User("ada", "admin", "local")
    assert auth.resolve(oidc={}, cookie=cookie + "x", **local).reason == "expired"
    assert auth.resolve(oidc={}, cookie=None, **local).reason == "logged_out", "log-in configured: no free admin"


@pytest.mark.parametrize("address,client_is_local,expected", [
    ("127.0.0.1", True, auth.User("local", "admin", "loopback")),
    ("localhost", True, auth.User("local", "admin", "loopback")),
    ("::1", True, auth.User("local", "admin", "loopback")),
    ("0.0.0.0", True, None),
    (None, True, None),               # unset: Streamlit listens everywhere
    ("192.168.1.5", True, None),
    ("127.0.0.1", False, None),       # loopback, but through a proxy or from elsewhere
])
def test_without_any_login_only_the_local_machine_is_admin(tmp_path, monkeypatch, address, client_is_local, expected):
    monkeypatch.setenv("DASHBOARD_SECRETS_FILE", str(tmp_path / "none.toml"))
    status = auth.resolve(oidc={}, cookie=None, server_address=address, client_is_local=client_is_local, now=T0)
    assert status.user == expected
    assert status.reason == ("ok" if expected else "unprotected")


@pytest.mark.parametrize("setting", ["false", ""])
def test_single_user_mode_needs_the_explicit_setting(tmp_path, monkeypatch, setting):
    """Issue 12 point 2: a TCP forwarder on loopback looks like the local user; without
    DASHBOARD_SINGLE_USER and without log-in nobody is let in (fail closed)."""
    monkeypatch.setenv("DASHBOARD_SECRETS_FILE", str(tmp_path / "none.toml"))
    monkeypatch.setenv("DASHBOARD_SINGLE_USER", setting)
    status = auth.resolve(oidc={}, cookie=None, server_address="127.0.0.1", client_is_local=True, now=T0)
    assert status == auth.Status(None, "unprotected")


def test_makefile_run_sets_single_user_mode_for_the_local_demo():
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text(encoding="utf-8")
    run = makefile.split("\nrun:")[1].split("\n\n")[0]
    assert "DASHBOARD_SINGLE_USER=true" in run and "--server.address 127.0.0.1" in run


def test_current_user_in_a_streamlit_page(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    def page():
        import streamlit as st

        from dashboard.web import context

        status = context.session_status()
        st.write(f"{status.user.name}|{status.user.role}|{status.user.method}" if status.user else status.reason)

    (tmp_path / "oidc.toml").write_text('[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\n')
    monkeypatch.setenv("DASHBOARD_SECRETS_FILE", str(tmp_path / "oidc.toml"))
    monkeypatch.setenv("DASHBOARD_OIDC_ROLES", "boss@example.jp=admin,@example.jp=viewer")
    at = AppTest.from_function(page)
    at.user = {"is_logged_in": True, "email": "boss@example.jp"}
    at.run()
    assert at.markdown[0].value == "boss@example.jp|admin|oidc"
    at.user = {"is_logged_in": True, "email": "stranger@elsewhere.jp"}
    at.run()
    assert at.markdown[0].value == "oidc_unmapped"
    at.user = {"is_logged_in": False}
    at.run()
    assert at.markdown[0].value == "logged_out"


# ---- python -m dashboard user add ---------------------------------------------------------------

def test_cli_user_add_makes_a_pasteable_snippet(monkeypatch, tmp_path):
    monkeypatch.setenv("DASHBOARD_SECRETS_FILE", str(tmp_path / "none.toml"))
    monkeypatch.delenv("DASHBOARD_COOKIE_SECRET", raising=False)
    snippet = auth.cli_user_add("kim.tanaka", "operator", "a-long-password")
    parsed = tomllib.loads(snippet)["users"]["kim.tanaka"]
    assert parsed["role"] == "operator"
    assert auth.verify_password("a-long-password", parsed["password_hash"])
    assert "a-long-password" not in snippet
    assert "DASHBOARD_COOKIE_SECRET" in snippet, "reminds that local log-in needs the cookie secret"
    monkeypatch.setattr(sys, "stdin", io.StringIO("piped-password\n"))
    piped = tomllib.loads(auth.cli_user_add("ops", "sender"))["users"]["ops"]
    assert auth.verify_password("piped-password", piped["password_hash"])
    with pytest.raises(auth.AuthConfigError, match="role must be one of"):
        auth.cli_user_add("kim", "root", "a-long-password")
    with pytest.raises(auth.AuthConfigError, match="at least 8"):
        auth.cli_user_add("kim", "viewer", "short")
    with pytest.raises(auth.AuthConfigError, match="user name"):
        auth.cli_user_add('kim"]\n[evil', "viewer", "a-long-password")


# ---- the routes, on a real server ---------------------------------------------------------------

@pytest.fixture(scope="module")
def server():
    import uvicorn

    from dashboard.access import login_routes

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(login_routes.build_app(), host="127.0.0.1", port=port,
                                        log_level="warning", access_log=False))
    srv.install_signal_handlers = lambda: None
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)
    auth.use_revocation_store(auth.RevocationStore())   # later tests: no database behind log-outs


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def call(url: str, method: str = "GET", form: dict | None = None, headers: dict | None = None):
    """(status, headers, body) without following redirects."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        response = urllib.request.build_opener(_NoRedirect).open(request, timeout=10)
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read().decode()
    return response.status, response.headers, response.read().decode()


def origin(url: str) -> dict:
    return {"Origin": url}


def test_login_form_is_self_contained(server, secrets_file):
    status, headers, body = call(server + "/account/login")
    assert status == 200
    assert 'name="password"' in body and "パスワード" in body and "Password" in body
    assert "http" not in body.split("<body>")[1], "no external assets"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_login_sets_an_httponly_cookie_and_redirects(server, secrets_file, cur):
    status, headers, _ = call(server + "/account/login", "POST", {"name": "alice", "password": PASSWORDS["alice"]},
                              origin(server))
    assert status == 303 and headers["Location"] == "/"
    cookie = headers["Set-Cookie"]
    assert cookie.startswith("dashboard_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie and "Secure" not in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    assert auth.session_from_cookie(value).name == "alice"
    _, https_headers, _ = call(server + "/account/login", "POST", {"name": "alice", "password": PASSWORDS["alice"]},
                               {**origin(server), "X-Forwarded-Proto": "https"})
    assert "Secure" in https_headers["Set-Cookie"]


def test_failed_login_is_401_and_sets_nothing_then_429(server, secrets_file, cur):
    for _ in range(5):
        status, headers, body = call(server + "/account/login", "POST", {"name": "vic", "password": "nope"},
                                     origin(server))
        assert status == 401 and "Set-Cookie" not in headers
        assert "wrong user name or password" in body and 'value="vic"' in body
    status, headers, body = call(server + "/account/login", "POST", {"name": "vic", "password": PASSWORDS["vic"]},
                                 origin(server))
    assert status == 429 and "Set-Cookie" not in headers and "try again after" in body


def test_cross_site_posts_are_refused(server, secrets_file, cur):
    form = {"name": "alice", "password": PASSWORDS["alice"]}
    assert call(server + "/account/login", "POST", form)[0] == 403, "no Origin, no Referer"
    assert call(server + "/account/login", "POST", form, {"Origin": "https://evil.example"})[0] == 403
    assert call(server + "/account/login", "POST", form, {"Referer": server + "/account/login"})[0] == 303
    assert cur.execute("select count(*) from login_attempts").fetchone()[0] == 1, "refused posts check nothing"


def test_logout_clears_the_cookie_and_is_audited(server, secrets_file, cur):
    value = auth.make_session_cookie("ada", "admin")
    assert call(server + "/account/logout")[0] == 200, "a GET only shows the button"
    status, headers, _ = call(server + "/account/logout", "POST", {}, {**origin(server), "Cookie": f"dashboard_session={value}"})
    assert status == 303 and headers["Location"] == "/account/login"
    assert 'dashboard_session=""' in headers["Set-Cookie"] or "Max-Age=0" in headers["Set-Cookie"]
    assert auth.session_from_cookie(value) is None
    assert audit.search(cur, action="logout")["actor"].tolist() == ["ada"]


def test_middleware_slides_an_older_cookie_forward(server, secrets_file, cur):
    now = dt.datetime.now(dt.timezone.utc)
    older = auth.make_session_cookie("olga", "operator", now - dt.timedelta(minutes=20))
    _, headers, _ = call(server + "/account/login", headers={"Cookie": f"dashboard_session={older}"})
    fresh = headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    assert "HttpOnly" in headers["Set-Cookie"]
    assert now - auth.read_session_cookie(fresh).last_seen < dt.timedelta(minutes=1)
    young = auth.make_session_cookie("olga", "operator", now)
    assert "Set-Cookie" not in call(server + "/account/login", headers={"Cookie": f"dashboard_session={young}"})[1]
    stale = auth.make_session_cookie("olga", "operator", now - dt.timedelta(hours=2))
    assert "Set-Cookie" not in call(server + "/account/login", headers={"Cookie": f"dashboard_session={stale}"})[1]


def test_parallel_guesses_over_http_are_counted_atomically(server, secrets_file, cur):
    """Issue 12 point 4: 30 parallel wrong guesses and then the right password, over real HTTP:
    at most the limit of them are checked, and the right one is refused for that name."""
    from concurrent.futures import ThreadPoolExecutor

    form = {"name": "olga", "password": "wrong-guess"}
    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(lambda _: call(server + "/account/login", "POST", form, origin(server))[0], range(30)))
    assert statuses.count(401) <= 5 and statuses.count(401) + statuses.count(429) == 30
    right = call(server + "/account/login", "POST", {"name": "olga", "password": PASSWORDS["olga"]}, origin(server))
    assert right[0] == 429
    checked = cur.execute("select count(*) from login_attempts where username = 'olga'").fetchone()[0]
    assert checked == statuses.count(401)


def test_sessions_have_distinct_ids_an_absolute_lifetime_and_a_logged_out_reason(secrets_file, cur, monkeypatch):
    """Issue 12 point 5 (and issue 20 point 6)."""
    monkeypatch.setenv("DASHBOARD_SESSION_MAX_HOURS", "12")
    one, two = auth.make_session_cookie("alice", "sender", T0), auth.make_session_cookie("alice", "sender", T0)
    assert one != two   # two log-ins in the same second
    auth.end_session(auth.session_from_cookie(one, T0), T0)
    assert auth.session_state(one, T0)[1] == "logged_out" and auth.session_from_cookie(two, T0) is not None
    local = {"server_address": "127.0.0.1", "client_is_local": True}
    assert auth.resolve(oidc={}, cookie=one, now=T0, **local).reason == "signed_out"
    # kept active all along (page activity every few minutes), it still ends 12 h after log-in
    t = T0
    while t < T0 + dt.timedelta(hours=11, minutes=55):
        t += dt.timedelta(minutes=5)
        session = auth.session_from_cookie(two, t)
        assert session is not None
        auth.note_activity(session, t)
    refreshed = auth.refreshed_cookie(two, t)
    assert auth.read_session_cookie(refreshed, t).issued == T0
    assert auth.session_state(two, T0 + dt.timedelta(hours=12, minutes=1)) == (None, "expired")
    assert auth.read_session_cookie(refreshed, T0 + dt.timedelta(hours=12, minutes=1)) is None
    assert auth.resolve(oidc={}, cookie=two, now=T0 + dt.timedelta(hours=13), **local).reason == "expired"


def test_a_logged_out_cookie_stays_refused_after_a_restart(server, secrets_file, cur):
    from dashboard.access import login_routes

    status, headers, _ = call(server + "/account/login", "POST", {"name": "alice", "password": PASSWORDS["alice"]},
                              origin(server))
    value = headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    assert auth.session_from_cookie(value) is not None
    status, _, _ = call(server + "/account/logout", "POST", None,
                        {**origin(server), "Cookie": f"{auth.COOKIE_NAME}={value}"})
    assert status == 303
    # a restart: nothing in memory, the next check reads session_revocations
    sessions._ended.clear()
    login_routes.REVOCATIONS.forget_cache()
    assert auth.session_state(value) == (None, "logged_out")
    assert cur.execute("select count(*) from session_revocations where expires_at > now()").fetchone()[0] == 1


def test_metrics_are_for_a_logged_in_admin_only(server, secrets_file, cur, hashes):
    assert call(server + "/_stcore/metrics")[0] == 403
    for name, allowed in (("alice", False), ("ada", True)):
        _, headers, _ = call(server + "/account/login", "POST", {"name": name, "password": PASSWORDS[name]},
                             origin(server))
        value = headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
        status = call(server + "/_stcore/metrics", headers={"Cookie": f"{auth.COOKIE_NAME}={value}"})[0]
        assert (status != 403) == allowed, name   # 404 here: the test server has no Streamlit behind it


def test_app_mounts_the_routes_without_shadowing_st_login():
    code = ("import app; print(sorted({r.path for r in app.app._user_routes})); "
            "print([m.cls.__name__ for m in app.app._user_middleware])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["['/account/login', '/account/logout', '/healthz']", "['SecurityHeadersMiddleware', 'SessionRefreshMiddleware']"]
