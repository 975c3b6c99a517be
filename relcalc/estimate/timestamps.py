"""Reading incident timestamps: ISO 8601 and the formats paging and ticketing tools export.

Every timestamp becomes hours since the Unix epoch (UTC), so durations are
plain differences. A timestamp with an offset or ``Z`` is read in its own
zone; one without is read in the zone given (``--tz``, UTC by default), with
daylight-saving time honoured through the IANA database (:mod:`zoneinfo`).

Accepted, besides ISO 8601 (``2025-03-04T12:30:00+01:00``, ``2025-03-04 12:30``,
``2025-03-04``, also with a spaced offset ``2025-03-04 12:30:00 +0100`` or a
``UTC``/``GMT`` suffix):

- RFC 2822 / e-mail dates: ``Tue, 04 Mar 2025 12:30:00 +0000``;
- Jira-style exports: ``04/Mar/25 12:30 PM``, ``04-Mar-2025 12:30``, ``4 Mar 2025 12:30``;
- Unix epoch seconds or milliseconds (``1741091400``, ``1741091400000``).

Numeric day/month dates such as ``03/04/2025`` are refused: the same text
means 3 April in Europe and 4 March in the US, and guessing would shift
incidents by months without a word.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone, tzinfo

from ..errors import InputError

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NUMERIC_SLASH = re.compile(r"^\s*\d{1,4}[/.]\d{1,2}[/.]\d{1,4}(?:\b|\s|$)")
_EPOCH_NUMBER = re.compile(r"^\s*\d{9,13}(?:\.\d+)?\s*$")
_MONTH_NAME_FORMATS = (
    "%d/%b/%y %I:%M %p",
    "%d/%b/%Y %I:%M %p",
    "%d/%b/%y %H:%M",
    "%d/%b/%Y %H:%M",
    "%d-%b-%Y %H:%M:%S",
    "%d-%b-%Y %H:%M",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M",
    "%d %B %Y %H:%M",
    "%b %d, %Y %I:%M %p",
    "%b %d, %Y %H:%M",
)


def zone(name: str | None, option: str = "--tz") -> tzinfo:
    """The time zone called ``name`` (IANA, such as ``Europe/Paris``; ``UTC`` by default)."""
    if name is None or name.strip().upper() in ("UTC", "Z", ""):
        return timezone.utc
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"{option}: unknown time zone {name!r}; use an IANA name such as Europe/Paris or UTC") from None


def parse_timestamp(text: object, what: str, default_zone: tzinfo = timezone.utc) -> float:
    """Hours since 1970-01-01 UTC for one timestamp; InputError naming ``what`` otherwise."""
    value = str(text).strip()
    if not value:
        raise InputError(f"{what}: empty timestamp")
    moment = _parse(value, what)
    if moment.tzinfo is None:
        moment = _local(moment, default_zone, what, value)
    return (moment - _EPOCH).total_seconds() / 3600.0


def _parse(value: str, what: str) -> datetime:
    if _EPOCH_NUMBER.match(value):
        seconds = float(value)
        if seconds >= 1e12:  # milliseconds, as JavaScript-based tools export
            seconds /= 1000.0
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    if _NUMERIC_SLASH.match(value) and not re.match(r"^\s*\d{4}[/.]", value):
        raise InputError(
            f"{what}: {value!r} is ambiguous (day/month or month/day?); use ISO 8601 such as 2025-03-04 12:30"
        )
    iso = re.sub(r"\s*(?:UTC|GMT|Z)$", "Z", value) if re.search(r"\d\s*(?:UTC|GMT|Z)$", value) else value
    iso = re.sub(r"(\d)\s+([+-]\d{2}):?(\d{2})$", r"\1\2:\3", iso)  # 12:30:00 +0100, as databases print
    iso = re.sub(r"^(\d{4})[/.](\d{2})[/.](\d{2})", r"\1-\2-\3", iso)  # 2025/03/04 is unambiguous
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        pass
    if "," in value and re.search(r"[+-]\d{4}$|GMT$|UT$", value):
        from email.utils import parsedate_to_datetime

        try:
            return parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            pass
    for pattern in _MONTH_NAME_FORMATS:
        try:
            return datetime.strptime(value, pattern)
        except ValueError:
            continue
    raise InputError(
        f"{what}: cannot read {value!r} as a timestamp; use ISO 8601 such as 2025-03-04T12:30:00+01:00"
    )


def _local(moment: datetime, default_zone: tzinfo, what: str, value: str) -> datetime:
    """A wall-clock time in ``default_zone``; one skipped or repeated by a clock change is refused.

    Python silently reads a time in the spring gap (02:30 when clocks jump
    from 02:00 to 03:00) with the offset before the change, and a time in the
    autumn hour that happens twice as its first occurrence; either guess can
    make an incident an hour longer or shorter, or end before it starts.
    """
    first = moment.replace(tzinfo=default_zone, fold=0)
    second = moment.replace(tzinfo=default_zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    round_trip = first.astimezone(timezone.utc).astimezone(default_zone).replace(tzinfo=None)
    if round_trip != moment:
        why = "does not exist (the clocks skipped it)"
    else:
        why = "happens twice (the clocks went back)"
    raise InputError(f"{what}: {value!r} {why} in {default_zone}; give it with its offset, "
                     f"such as {moment.isoformat()}{_offset_text(first)}")


def _offset_text(moment: datetime) -> str:
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def format_timestamp(hours: float) -> str:
    """An epoch-hours figure back as ISO 8601 in UTC, to the second."""
    from datetime import timedelta

    moment = _EPOCH + timedelta(hours=hours)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_window(text: str, default_zone: tzinfo = timezone.utc, option: str = "--window") -> tuple[float, float]:
    """``START..END`` as (start, end) in epoch hours; the end must follow the start."""
    start, sep, end = str(text).partition("..")
    if not sep or not start.strip() or not end.strip():
        raise InputError(f"{option}: expected START..END such as 2025-01-01..2026-01-01, got {text!r}")
    low = parse_timestamp(start, f"{option} start", default_zone)
    high = parse_timestamp(end, f"{option} end", default_zone)
    if not high > low:
        raise InputError(f"{option}: the end {end.strip()!r} must come after the start {start.strip()!r}")
    return low, high
