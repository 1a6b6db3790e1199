"""LINE's ID formats, checked at every door (webhook, CSV imports, sync, test recipients).

LINE user IDs are "U" followed by 32 lower-case hex digits; group IDs start with "C" and room IDs
with "R" in the same shape (Messaging API reference, "Get profile" / webhook source objects). A
value that does not have this shape cannot be a LINE user, so it is refused where it enters
instead of failing a whole multicast batch later.
"""
from __future__ import annotations

import re

_USER = re.compile(r"U[0-9a-f]{32}")
_GROUP = re.compile(r"C[0-9a-f]{32}")
_ROOM = re.compile(r"R[0-9a-f]{32}")


def is_user_id(value: object) -> bool:
    """True when value has the shape of a LINE user ID."""
    return isinstance(value, str) and _USER.fullmatch(value) is not None


def is_group_id(value: object) -> bool:
    return isinstance(value, str) and _GROUP.fullmatch(value) is not None


def is_room_id(value: object) -> bool:
    return isinstance(value, str) and _ROOM.fullmatch(value) is not None


def invalid_user_ids(values) -> list[str]:
    """The values that are not LINE user IDs, in their order, each once."""
    seen: set[str] = set()
    bad: list[str] = []
    for v in values:
        if not is_user_id(v):
            key = str(v)
            if key not in seen:
                seen.add(key)
                bad.append(key)
    return bad
