"""Settings declared as data.

Each setting has a name, a default and a help text. Values come from `.streamlit/secrets.toml`
first, then the environment, then the default. The README's settings table is checked against
this list by a test, so a new setting cannot go undocumented. Secrets are never printed.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    help: str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting("LINE_CHANNEL_ACCESS_TOKEN", None,
            "Channel access token of the Messaging API channel. Without it the product talks to the "
            "local sandbox and nothing leaves this machine.", secret=True),
    Setting("LINE_CHANNEL_SECRET", None,
            "Channel secret, used to verify webhook signatures.", secret=True),
    Setting("LINE_API_BASE_URL", "https://api.line.me",
            "Base URL of the LINE API, without a trailing slash (the sandbox URL when testing)."),
    Setting("DASHBOARD_DB", "data/dashboard.duckdb",
            "Path of the DuckDB file. `make run` builds a demo account there when it does not exist."),
    Setting("DASHBOARD_MEMORY_LIMIT", None,
            "Memory DuckDB may use per process, e.g. `8GB` (beyond it, large builds and rollups spill to a "
            "temporary folder beside the file); empty = DuckDB's default, 80 % of the machine's memory."),
    Setting("DASHBOARD_SPOOL", "data/spool",
            "Folder of the webhook spool (append-only JSONL files the loader reads)."),
    Setting("DASHBOARD_WEBHOOK_MAX_BYTES", "1048576",
            "Largest webhook body the receiver accepts; larger ones get 413."),
    Setting("DASHBOARD_WEBHOOK_READ_TIMEOUT_S", "10",
            "Seconds the webhook receiver waits for a request body (then 408) and keeps an idle connection open."),
    Setting("DASHBOARD_WEBHOOK_MAX_CONNECTIONS", "1000",
            "Connections the webhook receiver serves at once; beyond that it answers 503 at once."),
    Setting("DASHBOARD_LINK_SECRET", None,
            "Secret that signs tracked links (/r/<token>); without it the receiver refuses every tracked link.",
            secret=True),
    Setting("DASHBOARD_ADD_FRIEND_URL", None,
            "The account's add-friend URL (https://lin.ee/…) that route links (/f/<route>) redirect to."),
    Setting("DASHBOARD_TIMEZONE", "Asia/Tokyo",
            "Time zone of the account: every day, hour and weekday is computed and shown in it."),
    Setting("DASHBOARD_LANGUAGE", "ja",
            "Default UI language (`ja` or `en`); each user can switch in the sidebar."),
    Setting("DASHBOARD_PLAN", "standard",
            "LINE Official Account plan: `communication`, `light` or `standard`."),
    Setting("DASHBOARD_PRICE_PER_EXTRA_MESSAGE", "3",
            "Yen per message beyond the free quota (standard plan only; LINE's list price is up to ¥3)."),
    Setting("DASHBOARD_QUIET_HOURS", "22-8",
            "Hours (account time zone) in which no message is sent, as `start-end` (`off` for none); "
            "a send planned in them must be scheduled instead."),
    Setting("DASHBOARD_FREQUENCY_CAP", "3",
            "Maximum messages one friend receives in any 7 days; more are excluded from a send."),
    Setting("DASHBOARD_INTEREST_HOT", "8",
            "Interest level 'hot': at least this many per-user reactions in the last 30 days."),
    Setting("DASHBOARD_INTEREST_WARM", "1",
            "Interest level 'warm': at least this many per-user reactions in the last 30 days (and not hot)."),
    Setting("DASHBOARD_INTEREST_DORMANT_DAYS", "90",
            "Interest level 'dormant': no per-user reaction for this many days. Between warm and dormant: 'cold'."),
    Setting("DASHBOARD_GENRE_AREAS", "",
            "Rich-menu areas that count towards a genre, as `area=genre` pairs separated by commas "
            "(e.g. `スキンケア=skincare,サプリ=supplement`); tags `interest:<genre>` and purchase "
            "categories always count."),
    Setting("DASHBOARD_FORBIDDEN_TERMS", "",
            "Terms checked in every message before sending, as `term:block` or `term:warn` separated by "
            "commas; empty uses the built-in list (クレジットカード現金化, 出会い系, ギャンブル … block; "
            "医療, 治る … warn)."),
    Setting("DASHBOARD_STAFF_MAX", "20",
            "Most people the staff list may hold: test sends go only to staff on it (kept by an admin on the "
            "Audit page or with `python -m dashboard staff`), and a test send reaches at most this many."),
    Setting("DASHBOARD_TEST_SENDS_PER_DAY", "30",
            "Most test sends one staff member receives in 24 hours (the frequency cap of test sends); 0 = no cap."),
    Setting("DASHBOARD_CONFIRM_TYPE_ABOVE", "1000",
            "Above this many recipients the operator must type the recipient count to confirm a send."),
    Setting("DASHBOARD_SANDBOX_PORT", "8765",
            "Port of the sandbox the dashboard starts on loopback when no channel access token is set."),
    Setting("DASHBOARD_ACTIVE_DAYS", "30",
            "Window of the 'active friend' KPI: following and at least one per-user reaction in the "
            "last N days."),
    Setting("DASHBOARD_PUBLIC_BASE_URL", None,
            "Public https base URL of the webhook receiver (e.g. `https://line.example.co.jp`). When set, "
            "links in composed messages are rewritten to signed tracked links `/r/<token>` on it."),
    Setting("DASHBOARD_TRACK_PER_USER_MAX", "10000",
            "Up to this many recipients, tracked links are per recipient (one multicast request per "
            "recipient, so clicks are per user); above it, one link per delivery (clicks per delivery only)."),
    Setting("LINE_LOGIN_CHANNEL_ID", None,
            "Channel ID of a LINE Login channel. When set (with its secret), route links pass through LINE "
            "Login so the follow that follows is attributed to the route exactly."),
    Setting("LINE_LOGIN_CHANNEL_SECRET", None, "Channel secret of the LINE Login channel.", secret=True),
    Setting("LINE_LOGIN_AUTHORIZE_URL", "https://access.line.me/oauth2/v2.1/authorize",
            "LINE Login's authorization endpoint (the sandbox's for tests)."),
    Setting("LINE_LOGIN_API_BASE_URL", "https://api.line.me",
            "Base URL of LINE Login's token endpoint (`/oauth2/v2.1/token`); the sandbox URL when testing."),
    Setting("DASHBOARD_INGEST_INTERVAL_S", "1",
            "Seconds between two loader rounds in the dashboard's background worker (spool -> DuckDB); "
            "a round with nothing new costs about 2 ms."),
    Setting("DASHBOARD_STORE_RAW_EMAIL", "false",
            "`true` keeps customers' raw e-mail addresses from imports; by default only the SHA-256 of the "
            "normalised address is stored."),
    Setting("DASHBOARD_BACKUP_DIR", None,
            "Folder for daily backups of the DuckDB file, made by the running dashboard itself (a consistent "
            "copy while it keeps working); empty = no automatic backups."),
    Setting("DASHBOARD_BACKUP_HOUR", "4",
            "Hour of the day (account time zone) from which the daily backup is made."),
    Setting("DASHBOARD_BACKUP_KEEP", "7",
            "How many daily backups to keep; older ones are deleted."),
    Setting("DASHBOARD_SHARED", "false",
            "`true` marks the dashboard as shared even when it listens on loopback behind a proxy: log-in is then "
            "required. (A non-loopback address or an X-Forwarded-For header also count as shared.)"),
    Setting("DASHBOARD_SINGLE_USER", "false",
            "`true` lets the one person at this machine use the dashboard as admin without log-in — only while no "
            "log-in is configured, Streamlit listens on loopback, the request has no proxy headers and "
            "DASHBOARD_SHARED is off. `make run` sets it for the local demo. Without it and without log-in, no data is shown."),
    Setting("DASHBOARD_APPROVAL_RECIPIENTS", "10000",
            "A send to more recipients than this needs a second person with the sender role to approve it."),
    Setting("DASHBOARD_APPROVAL_YEN", "30000",
            "A send whose extra-message cost exceeds this many yen needs a second person's approval."),
    Setting("DASHBOARD_SESSION_MINUTES", "480",
            "A log-in session ends after this many minutes without activity."),
    Setting("DASHBOARD_SESSION_MAX_HOURS", "12",
            "A log-in session ends this many hours after log-in, however active (then log in again)."),
    Setting("DASHBOARD_LOGIN_MAX_FAILURES", "5",
            "Failed log-ins allowed per user name in 15 minutes before that name is refused until they age out; "
            "from one client address, beyond this many each further attempt waits 1, 2, 4 … seconds (at most 5 minutes)."),
    Setting("DASHBOARD_COOKIE_SECRET", None,
            "Secret that signs the session cookie of local accounts; required when local accounts are "
            "configured in secrets.toml ([users.NAME]).", secret=True),
    Setting("DASHBOARD_OIDC_ROLES", "",
            "Roles of OpenID Connect users (st.login), as `address-or-@domain=role` pairs separated by "
            "commas (e.g. `boss@example.jp=admin,@example.jp=viewer`); anyone unmatched is refused."),
    Setting("DASHBOARD_ALERT_INTERVAL_S", "300",
            "Seconds between two check-up runs (goals and alerts, the Health page) in the dashboard's background worker."),
    Setting("DASHBOARD_ALERT_PROMOTION_SHARE", "50",
            "Alert when promotions are more than this percentage of the sends of the last 30 days."),
    Setting("DASHBOARD_ALERT_FALLING_DELIVERIES", "3",
            "Alert when reactions per delivery fell this many deliveries in a row."),
    Setting("DASHBOARD_ALERT_BLOCK_SPIKE_FACTOR", "2",
            "Alert when a send's blocks within 24 h, per message sent, are above this many times its audience's "
            "usual rate (earlier sends to the same audience in 90 days)."),
    Setting("DASHBOARD_ALERT_BLOCK_SPIKE_MIN", "10",
            "A block spike needs at least this many blocks within 24 h of the send."),
    Setting("DASHBOARD_ALERT_ROUTE_BLOCK_FACTOR", "2",
            "Alert when an inflow route's 7-day block rate is above this many times the account's."),
    Setting("DASHBOARD_ALERT_ROUTE_MIN_ADDS", "30",
            "A route's block-rate alert needs at least this many adds (30 days, each watched for 7 days)."),
    Setting("DASHBOARD_ALERT_SILENT_DAYS", "21",
            "Alert on friends who added the account more than this many days ago and have received nothing."),
    Setting("DASHBOARD_ALERT_WEEKLY_MESSAGES", "3",
            "Alert on friends who received more than this many messages in the last 7 days."),
    Setting("DASHBOARD_ALERT_MENU_AREA_SHARE", "3",
            "Alert on a rich-menu area with less than this percentage of all rich-menu taps of the last 30 days."),
    Setting("DASHBOARD_ALERT_LOADER_LAG_MINUTES", "10",
            "Alert when received webhook events have waited more than this many minutes to be loaded."),
    Setting('DASHBOARD_ENGINE', 'duckdb',
            "Where the analytics reads go: `duckdb` (the one file, the default) or `clickhouse` (the warehouse: the pages' and segments' reads from ClickHouse, loaded from the Parquet interchange; the ledger, approvals, audit, users and saved segments stay in DuckDB). docs/clickhouse.md."),
    Setting('DASHBOARD_PARQUET_DIR', None,
            'Folder of the Parquet interchange (also the "take all your data with you" export): the worker writes the new events there exactly once, Hive-partitioned by UTC day, every tenth loader interval, and the dimension tables as snapshots every DASHBOARD_PARQUET_INTERVAL_S; empty = off. Needed by DASHBOARD_ENGINE=clickhouse, which loads from it.'),
    Setting('DASHBOARD_PARQUET_INTERVAL_S', '3600',
            'Seconds between two snapshots of the dimension tables (friends, tags, attributes, customers, deliveries, recipients, segments, rollups) in DASHBOARD_PARQUET_DIR: a few seconds of work at 1M friends. With DASHBOARD_ENGINE=clickhouse this is how stale the warehouse\'s friend state may be: set 60-300 there.'),
    Setting('DASHBOARD_CLICKHOUSE_URL', None,
            'A ClickHouse server for DASHBOARD_ENGINE=clickhouse through clickhouse-connect, as `http(s)://user:password@host:8123/database`; empty = embedded ClickHouse (chdb) in DASHBOARD_CHDB_PATH.', secret=True),
    Setting('DASHBOARD_CHDB_PATH', 'data/chdb',
            'Folder of the embedded ClickHouse (chdb) when DASHBOARD_ENGINE=clickhouse and no DASHBOARD_CLICKHOUSE_URL is set.'),
    Setting('DASHBOARD_ACCOUNT_ID', 'default',
            "This account's key in the warehouse: every ClickHouse table carries it first in its sorting key, so one cluster serves many accounts and each dashboard process reads only its own."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def _secrets_file() -> dict:
    path = Path(os.environ.get("DASHBOARD_SECRETS_FILE", ROOT / ".streamlit" / "secrets.toml"))
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def section(name: str) -> dict:
    """A table of secrets.toml (e.g. [users] for local accounts, [auth] for st.login); {} when absent."""
    value = _secrets_file().get(name)
    return value if isinstance(value, dict) else {}


def get_bool(name: str) -> bool:
    return (get(name) or "").strip().lower() in ("1", "true", "yes", "on")


def get(name: str) -> str | None:
    """The value of a declared setting: secrets.toml, then environment, then default."""
    if name not in _BY_NAME:
        raise KeyError(f"unknown setting {name!r}; declare it in dashboard/core/config.py")
    secrets = _secrets_file()
    if name in secrets and secrets[name] not in (None, ""):
        return str(secrets[name])
    env = os.environ.get(name)
    if env not in (None, ""):
        return env
    return _BY_NAME[name].default


def is_set(name: str) -> bool:
    """True when secrets.toml or the environment gives the setting a value (not the default)."""
    if name not in _BY_NAME:
        raise KeyError(f"unknown setting {name!r}; declare it in dashboard/core/config.py")
    return _secrets_file().get(name) not in (None, "") or os.environ.get(name) not in (None, "")


def get_int(name: str) -> int:
    value = get(name)
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"setting {name} must be an integer, got {value!r}") from None


def db_path() -> Path:
    path = Path(get("DASHBOARD_DB") or "data/dashboard.duckdb")
    return path if path.is_absolute() else ROOT / path


def timezone() -> str:
    return get("DASHBOARD_TIMEZONE") or "Asia/Tokyo"


def is_sandbox() -> bool:
    """True when no channel access token is configured: nothing can leave this machine."""
    return not get("LINE_CHANNEL_ACCESS_TOKEN")
