"""Reading CSV files from Japanese business tools: the encoding (UTF-8 with or without BOM, or
CP932 as Japanese Excel writes it), rows with the line numbers the operator sees, and the cell
parsers (dates in Japanese formats and eras, yen amounts, counts, LINE user IDs, e-mail addresses).
A parser takes a stripped, non-empty cell and returns a value or raises Bad with the reason in
plain words. Used by dashboard/intake/imports.py.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
from decimal import Decimal
from zoneinfo import ZoneInfo

from dashboard.core import config
from dashboard.line import ids
from dashboard.intake.texts import Said

# ---- values: each parser takes a stripped, non-empty cell and returns a value or raises Bad ----

class Bad(ValueError):
    """One row is bad; the message is the reason shown to the operator."""


class Rejected(ValueError):
    """The whole file is rejected; the message says why."""


def _nfkc(text: str) -> str:
    # full-width digits, slashes, colons and yen signs from Japanese spreadsheets become ASCII
    return unicodedata.normalize("NFKC", text).strip()


_ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925}
_DATETIME = re.compile(
    r"(?:(?P<era>令和|平成|昭和)\s*(?P<era_year>\d{1,2}|元)|(?P<year>\d{4}))\s*[-/.年]\s*"
    r"(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})\s*日?\s*(?:\(\w\))?"
    r"(?:(?:\s+|T)(?P<hour>\d{1,2})\s*[:時]\s*(?P<minute>\d{1,2})\s*分?"
    r"(?:\s*:?\s*(?P<second>\d{1,2})(?:\.(?P<fraction>\d{1,6}))?\s*秒?)?)?"
    r"\s*(?P<offset>Z|[+-]\d{2}:?\d{2})?")
_COMPACT_DATE = re.compile(r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})")


def parse_datetime(text: str, zone: dt.tzinfo | None = None) -> dt.datetime:
    """ISO, 2026/11/24, 2026/11/24 13:05, 2026年11月24日(火) 13時05分, 令和8年11月24日, 20261124.
    A time without an offset is in `zone` (default: the account's). Returns an aware datetime in UTC."""
    text = _nfkc(text)
    match = _DATETIME.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if not match:
        raise Bad("is not a date")
    parts = match.groupdict()
    if parts.get("era"):
        year = _ERAS[parts["era"]] + (1 if parts["era_year"] == "元" else int(parts["era_year"]))
    else:
        year = int(parts["year"])
    fraction = (parts.get("fraction") or "").ljust(6, "0")
    offset = parts.get("offset")
    if offset == "Z":
        zone = dt.timezone.utc
    elif offset:
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        zone = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    else:
        zone = zone or ZoneInfo(config.timezone())
    try:
        value = dt.datetime(year, int(parts["month"]), int(parts["day"]), int(parts.get("hour") or 0),
                            int(parts.get("minute") or 0), int(parts.get("second") or 0), int(fraction),
                            tzinfo=zone)
    except ValueError:
        raise Bad("is not a date") from None
    return value.astimezone(dt.timezone.utc)


def parse_day(text: str, zone: dt.tzinfo | None = None) -> dt.date:
    """A calendar day in the account's time zone (a time of day, if given, is ignored)."""
    zone = zone or ZoneInfo(config.timezone())
    return parse_datetime(text, zone).astimezone(zone).date()


_NUMBER = re.compile(r"(?P<sign>[+-]?)(?P<whole>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<cents>\d+))?")


def parse_amount(text: str, zone=None, *, whole: bool = False, limit: int = 10 ** 10) -> Decimal | int:
    """1200, 1,200, ¥1,200, ￥1,200, \\1,200 (the yen sign as CP932 decodes it), 1200円."""
    text = _nfkc(text).lstrip("¥\\").removesuffix("円").strip()
    match = _NUMBER.fullmatch(text)
    if not match or (whole and match["cents"] and set(match["cents"]) != {"0"}):
        raise Bad("is not a whole number" if whole else "is not a number")
    if match["cents"] and len(match["cents"].rstrip("0")) > 2:
        raise Bad("has more than 2 decimals")
    value = Decimal(match["whole"].replace(",", "") + "." + (match["cents"] or "0"))
    if match["sign"] == "-" and value:
        raise Bad("must not be negative")
    if value >= limit:
        raise Bad("is too large")
    return int(value) if whole else value.quantize(Decimal("0.01"))


def parse_count(text: str, zone=None) -> int:
    return parse_amount(text, whole=True, limit=2 ** 31)




def parse_line_user_id(text: str, zone=None) -> str:
    if not ids.is_user_id(text):  # the one definition of the shape (ids.py)
        raise Bad("is not a LINE user ID (U followed by 32 hex digits)")
    return text


def normalise_email(text: str) -> str:
    return _nfkc(text).lower()


def email_hash(address: str) -> str:
    """SHA-256 (hex) of the normalised address: what customers.email_hash holds."""
    return hashlib.sha256(normalise_email(address).encode("utf-8")).hexdigest()


def parse_email(text: str, zone=None) -> str:
    address = normalise_email(text)
    local, at, domain = address.partition("@")
    if not (local and at and "." in domain and "@" not in domain and not re.search(r"\s", address)):
        raise Bad("is not an e-mail address")
    return address


def text_of(max_chars: int):
    def parse(text: str, zone=None) -> str:
        if len(text) > max_chars:
            raise Bad(Said("imp.why.too_long", n=f"{max_chars:,}"))
        return text  # verbatim (only stripped): names and IDs are the operator's data
    return parse


# ---- reading a file ----

def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (BOM or not) first, then CP932, the superset of Shift_JIS that
    Japanese Windows and Excel write."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise Rejected("the file is UTF-16 (Excel's 'Unicode text'); save it as 'CSV UTF-8' or 'CSV'")
    if b"\x00" in data:
        raise Rejected("the file contains NUL bytes, so it is not a CSV text file (an .xlsx? save it as CSV)")
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8-sig" and not data.startswith(codecs.BOM_UTF8):
            encoding = "utf-8"
        return text, encoding
    raise Rejected("the file is neither UTF-8 nor Shift_JIS (CP932); save it from Excel as 'CSV UTF-8'")


def read_csv(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the non-empty rows, each with the line it starts on (header = line 1; a
    quoted cell may span lines, so the line is counted by the reader, not by the row)."""
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header, rows, last = None, [], 0
    try:
        for cells in reader:
            first, last = last + 1, reader.line_num
            if not "".join(cells).strip():
                continue  # Excel leaves empty lines and ",,,," rows at the end
            if header is None:
                header = cells
            else:
                rows.append((first, cells))
    except csv.Error as exc:
        raise Rejected(Said("imp.file.bad_csv", line=reader.line_num, detail=str(exc))) from None
    if header is None:
        raise Rejected("the file is empty")
    return header, rows
