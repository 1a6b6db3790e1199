"""Who may do what — one name for the access wing, kept so that callers across the wings need not
change: roles.py (roles, permissions, pages), passwords.py (scrypt hashes, local accounts,
`user add`), logins.py (local log-in checks and rate limits), sessions.py (the signed session
cookie, timeouts, log-outs, resolve), oidc.py (st.login roles). New code imports those modules.

Two ways to log in (issue 6):
- Local accounts in `.streamlit/secrets.toml` ([users.NAME] password_hash, role). The form is served
  by a server route (dashboard/access/login_routes.py), which sets a signed, HttpOnly cookie: a Streamlit
  script cannot set cookies, and a session kept only in st.session_state would end on every refresh.
- OpenID Connect through Streamlit's own st.login; roles come from DASHBOARD_OIDC_ROLES.
With neither configured, the single person at the machine is admin — but only with
DASHBOARD_SINGLE_USER set, while the server listens on loopback and the connection is local;
otherwise nobody is let in (serving_unprotected): fail closed.

Every write checks the role on the server (require), not only in the UI. Passwords, hashes and
secrets never appear in a message, a log line or the audit log.
"""
from dashboard.access.roles import (ACTIONS, PAGES, PERMISSIONS, ROLES, AuthConfigError,  # noqa: F401
                                    PermissionDenied, User, allowed, pages_for, require)
from dashboard.access.passwords import (MIN_PASSWORD_LENGTH, cli_user_add, hash_password, identity,  # noqa: F401
                                        local_users, verify_password)
from dashboard.access.logins import LoginResult, check_login, stored_name  # noqa: F401
from dashboard.access.oidc import oidc_configured, oidc_role  # noqa: F401
from dashboard.access.sessions import (COOKIE_NAME, REFRESH_AFTER, RevocationStore, Session, Status,  # noqa: F401
                                       cookie_secret_ok, end_session, is_loopback, login_configured,
                                       make_session_cookie, max_lifetime, note_activity, read_session_cookie,
                                       refreshed_cookie, resolve, session_from_cookie, session_state,
                                       use_revocation_store)
