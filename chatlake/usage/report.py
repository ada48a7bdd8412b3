"""`usage_report`: one of ccusage 20's reports, computed from the warehouse."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from chatlake.core.settings import resolve
from chatlake.core.db import connect
from chatlake.core.sources import USAGE_SOURCES
from chatlake.usage import warehouse
from chatlake.usage.blocks import BLOCK_HOURS, block_json, iso_ms, make_blocks
from chatlake.usage.options import KINDS, ReportOptions
from chatlake.usage.summaries import (Group, bucket_groups, by_project_json, day_groups, ordered, row_json,
                                      totals_json)
from chatlake.usage.warehouse import HOUR_MS

RECENT_DAYS = 3  # `blocks --recent`, as ccusage


@dataclass
class Report:
    """A report as ccusage's `--json` writes it (`data`), and what a table needs besides."""

    kind: str
    data: dict
    timezone: str
    missing_prices: list[str] = field(default_factory=list)  # models the price seed does not know
    sources: tuple[str, ...] = USAGE_SOURCES  # the apps whose responses were counted


def usage_report(kind: str, db: str | Path | None = None, opts: ReportOptions | None = None,
                 wait: bool | float | None = None) -> Report:
    """The `kind` report (daily, weekly, monthly, session or blocks) of the warehouse `db`."""
    if kind not in KINDS:
        raise ValueError(f"unknown report {kind!r}")
    settings = resolve(db=db, wait=wait)
    con = connect(settings.db, read_only=True, wait=settings.wait)
    try:
        return report_from(con, kind, opts)
    finally:
        con.close()


def report_from(con, kind: str, opts: ReportOptions | None = None) -> Report:
    """The `kind` report from an open connection to the warehouse (a caller that reads more keeps one)."""
    opts = opts or ReportOptions()
    warehouse.require_responses(con)
    tz = warehouse.resolve_timezone(con, opts.timezone)
    if kind == "session":
        return _sessions(con, opts, tz)
    if kind == "blocks":
        return _blocks(con, opts, tz)
    return _periods(con, kind, opts, tz)


def _missing(groups: list[Group]) -> list[str]:
    return sorted(set().union(*(g.missing_prices for g in groups)))


def _periods(con, kind: str, opts: ReportOptions, tz: str) -> Report:
    # ccusage's daily report keeps a row per project when one is asked for (--project, --instances)
    by_project = opts.instances or (kind == "daily" and opts.project is not None)
    days = day_groups(warehouse.day_usage(con, opts, tz, by_project))
    if kind == "daily":
        rows, key, name = days, "date", "daily"
    else:
        key, name = ("week", "weekly") if kind == "weekly" else ("month", "monthly")
        rows = bucket_groups(days, key, opts.start_of_week)
    rows = ordered(rows, key, opts.order or "asc")
    body = by_project_json(rows) if opts.instances else [row_json(g) for g in rows]
    data = {"projects" if opts.instances else name: body, "totals": totals_json(rows)}
    return Report(kind, data, tz, _missing(rows), opts.sources)


def _sessions(con, opts: ReportOptions, tz: str) -> Report:
    groups: dict[str, Group] = {}
    for sid, project, _day, usage in warehouse.session_usage(con, opts, tz):
        groups.setdefault(sid, Group({"sessionId": sid, "projectPath": project})).add(usage)
    rows = [g for g in groups.values() if sum(u.total_tokens for u in g.usages) > 0]
    for g in rows:
        g.keys["firstActivity"] = iso_ms(min(u.first_ms for u in g.usages))
        g.keys["lastActivity"] = iso_ms(max(u.last_ms for u in g.usages))
    # ccusage lists sessions by cost, the costliest first; --order asc turns that round
    rows.sort(key=lambda g: g.cost, reverse=(opts.order or "desc") == "desc")
    data = {"sessions": [row_json(g) for g in rows], "totals": totals_json(rows)}
    return Report("session", data, tz, _missing(rows), opts.sources)


def _blocks(con, opts: ReportOptions, tz: str) -> Report:
    now_ms = opts.now_ms if opts.now_ms is not None else int(time.time() * 1000)
    length = BLOCK_HOURS * HOUR_MS
    blocks = make_blocks(warehouse.block_slices(con, opts, length), length)
    if opts.since or opts.until:
        days = warehouse.local_days(con, tz, [b.start_ms for b in blocks])
        blocks = [b for b, day in zip(blocks, days)
                  if (not opts.since or day >= opts.since) and (not opts.until or day <= opts.until)]
    if opts.recent:
        blocks = [b for b in blocks if b.start_ms >= now_ms - RECENT_DAYS * 24 * HOUR_MS or b.is_active(now_ms)]
    if opts.active:
        blocks = [b for b in blocks if b.is_active(now_ms)]
    blocks.sort(key=lambda b: b.start_ms, reverse=(opts.order == "desc"))
    missing = sorted({u.model for b in blocks for u in b.usages if u.missing_price and u.model})
    return Report("blocks", {"blocks": [block_json(b, now_ms) for b in blocks]}, tz, missing, opts.sources)
