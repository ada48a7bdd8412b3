"""What a usage report is asked for, checked once: the flags ccusage 20 takes, as values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from chatlake.core.errors import BadOption
from chatlake.core.sources import USAGE_SOURCES, parse_sources

KINDS = ("daily", "weekly", "monthly", "session", "blocks")
WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


@dataclass(frozen=True)
class ReportOptions:
    """One report's flags. Dates are YYYYMMDD (as ccusage compares them); `timezone` None is the
    machine's zone; `now_ms` None is the clock (blocks are active relative to it)."""

    since: str | None = None
    until: str | None = None
    timezone: str | None = None
    project: str | None = None
    instances: bool = False
    order: str | None = None  # None: the report's own order (dates oldest first, sessions costliest first)
    start_of_week: str = "sunday"
    now_ms: int | None = None
    active: bool = False  # blocks: only the active one
    recent: bool = False  # blocks: only those of the last 3 days (and the active one)
    sources: tuple[str, ...] = USAGE_SOURCES  # the apps whose responses count (none: an empty report)


def date_bound(value: str | None, flag: str) -> str | None:
    """`YYYY-MM-DD` or `YYYYMMDD` as YYYYMMDD; anything else (or no such day) is a BadOption."""
    if value is None:
        return None
    digits = value.strip().replace("-", "")
    ok = len(digits) == 8 and digits.isdigit() and value.strip() in (digits, f"{digits[:4]}-{digits[4:6]}-{digits[6:]}")
    if ok:
        try:
            date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        except ValueError:
            ok = False
    if not ok:
        raise BadOption(f"invalid value for {flag} {value!r}: expected YYYY-MM-DD or YYYYMMDD")
    return digits


def make_options(since: str | None = None, until: str | None = None, timezone: str | None = None,
                 project: str | None = None, instances: bool = False, order: str | None = None,
                 start_of_week: str | None = None, now_ms: int | None = None, active: bool = False,
                 recent: bool = False, sources: str | list[str] | None = None) -> ReportOptions:
    """ReportOptions from flag values as typed, each checked (BadOption names the flag)."""
    order = order.lower() if order else None
    if order not in (None, "asc", "desc"):
        raise BadOption(f"invalid value for --order {order!r}: expected asc or desc")
    start = (start_of_week or "sunday").lower()
    if start not in WEEKDAYS:
        raise BadOption(f"invalid value for --start-of-week {start_of_week!r}: expected a day's name, such as monday")
    tz = None if timezone in (None, "", "local") else timezone
    return ReportOptions(date_bound(since, "--since"), date_bound(until, "--until"), tz,
                         project or None, instances, order, start, now_ms, active, recent,
                         usage_sources(parse_sources(sources)))


def usage_sources(asked: tuple[str, ...] | None) -> tuple[str, ...]:
    """The apps a report counts: those asked for that record usage (an export alone counts nothing)."""
    return USAGE_SOURCES if asked is None else tuple(s for s in asked if s in USAGE_SOURCES)
