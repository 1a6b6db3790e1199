"""What the ステップ配信 page may write, each checked against the user's role on the server first
(whatever the page showed): importing a scenario file, changing a status, enrolling a segment.
Activating or resuming sends messages, so it needs the sender role, like a send."""
from __future__ import annotations

import datetime as dt

from dashboard.access import roles
from dashboard.scenarios import enrol, model, store


def import_file(con, user, text: str) -> model.Scenario:
    roles.require(user, "draft")
    return store.save(con, text, user.name)


def save_definition(con, user, doc: dict) -> model.Scenario:
    """The page's editor saves like an imported file: the same checks, audited as an import or update."""
    roles.require(user, "draft")
    return store.save(con, doc, user.name)


def set_status(con, user, name: str, status: str, *, now: dt.datetime | None = None) -> dict:
    roles.require(user, "send" if status == "active" else "draft")
    return store.set_status(con, name, status, user.name, now=now)


def enrol_segment(con, user, name: str, segment: str) -> dict:
    roles.require(user, "send")
    return enrol.enrol(con, name, segment, user)
