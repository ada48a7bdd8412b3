"""The report's figures, read from the marts in one read-only connection (local days and hours)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from chatlake.core.db import table_exists
from chatlake.report import retention
from chatlake.report.filters import ReportFilters, where

# Projects drawn by name in the stacked charts; the rest are one "other" band.
TOP_PROJECTS = 8
TOP_TOOLS = 15
TABLE_ROWS = 10

# A project's label: its last folder (exports have none: their source names them).
_LABEL = "coalesce(nullif(regexp_extract(project_path, '([^/]+)/?$', 1), ''), project_path, source)"


@dataclass
class ReportData:
    """Everything the page draws, as rows of plain values."""

    filters: ReportFilters
    generated_at: datetime
    totals: dict = field(default_factory=dict)
    prompts_per_day: list[dict] = field(default_factory=list)
    hour_of_week: list[dict] = field(default_factory=list)
    tokens_per_day: list[dict] = field(default_factory=list)
    cost_per_day: list[dict] = field(default_factory=list)
    cost_by_project: list[dict] = field(default_factory=list)
    cache_share: list[dict] = field(default_factory=list)
    tools: list[dict] = field(default_factory=list)
    blocks: list[dict] = field(default_factory=list)
    expensive_sessions: list[dict] = field(default_factory=list)
    longest_sessions: list[dict] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)
    has_usage: bool = False
    cleanup_days: int = retention.DEFAULT_CLEANUP_DAYS
    deleted: list[retention.HeldSession] = field(default_factory=list)
    expiring: list[retention.HeldSession] = field(default_factory=list)


def _rows(con, sql: str, params: dict) -> list[dict]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def gather(con, filters: ReportFilters, claude_dir: Path | None = None, now: datetime | None = None) -> ReportData:
    """The figures of the report over what `filters` keep."""
    now = now or datetime.now(timezone.utc)
    data = ReportData(filters, now)
    p = filters.params()
    _prompts(con, data, p)
    data.has_usage = table_exists(con, "main", "assistant_responses")
    if data.has_usage:
        _usage(con, data, p)
    if table_exists(con, "main", "tool_calls"):
        data.tools = _rows(con, f"""
            select tool_name as tool, count(*) as calls,
                count(*) filter (where is_error) as errors,
                count(*) filter (where is_error) / count(*) as error_rate
            from main.tool_calls as calls
            left join main.sessions as sessions using (session_id)
            where {where('calls.called_at', 'sessions.project_path', 'calls.source')}
            group by tool_name order by calls desc, tool limit {TOP_TOOLS}""", p)
    data.longest_sessions = _rows(con, f"""
        select session_id, title, project_path, source, first_at, last_at, human_message_count as prompts,
            epoch(last_at - first_at) as seconds
        from main.sessions
        where {where('first_at')} and last_at is not null
        order by seconds desc, session_id limit {TABLE_ROWS}""", p)
    data.totals["sessions"] = con.execute(f"select count(*) from main.sessions where {where('first_at')}", p).fetchone()[0]
    data.totals["tool_calls"] = sum(t["calls"] for t in data.tools) if data.tools else 0
    _retention(con, data, p, claude_dir, now)
    return data


def _prompts(con, data: ReportData, p: dict) -> None:
    ranked = _rows(con, f"""
        select {_LABEL} as project, count(*) as prompts
        from main.human_messages where {where('created_at')} group by 1 order by 2 desc, 1""", p)
    data.projects = [r["project"] for r in ranked]
    top = [r["project"] for r in ranked[:TOP_PROJECTS]]
    data.totals["prompts"] = sum(r["prompts"] for r in ranked)
    data.totals["projects"] = len(ranked)
    data.prompts_per_day = _rows(con, f"""
        select strftime(created_at::date, '%Y-%m-%d') as day,
            case when list_contains($top, {_LABEL}) then {_LABEL} else 'other' end as project,
            count(*) as prompts
        from main.human_messages where {where('created_at')} and created_at is not null
        group by all order by day, project""", {**p, "top": top})
    data.hour_of_week = _rows(con, f"""
        select isodow(created_at) as dow, strftime(created_at, '%a') as weekday, hour(created_at) as hour,
            count(*) as prompts
        from main.human_messages where {where('created_at')} and created_at is not null
        group by all order by dow, hour""", p)
    data.totals["active_days"] = len({r["day"] for r in data.prompts_per_day})


def _usage(con, data: ReportData, p: dict) -> None:
    responses = f"""
        with responses as (
            select * from main.assistant_responses
            where {where('created_at')} and created_at is not null and has_usage and not is_synthetic
        )"""
    data.tokens_per_day = _rows(con, responses + """
        , daily as (
            select strftime(created_at::date, '%Y-%m-%d') as day, sum(input_tokens) as input,
                sum(output_tokens) as output, sum(cache_creation_tokens) as cache_write,
                sum(cache_read_tokens) as cache_read
            from responses group by 1
        )
        unpivot daily on input, output, cache_write, cache_read into name kind value tokens
        order by day, kind""", p)
    data.cost_per_day = _rows(con, responses + """
        select strftime(created_at::date, '%Y-%m-%d') as day, coalesce(model, 'unknown') as model,
            sum(cost_usd) as cost
        from responses group by all having sum(cost_usd) is not null order by day, model""", p)
    data.cost_by_project = _rows(con, responses + f"""
        select {_LABEL} as project, any_value(project_path) as project_path, sum(cost_usd) as cost,
            sum(total_tokens) as tokens
        from responses group by 1 order by cost desc nulls last, project limit 20""", p)
    data.cache_share = _rows(con, responses + """
        select strftime(created_at::date, '%Y-%m-%d') as day,
            sum(cache_read_tokens) / nullif(sum(input_tokens + cache_creation_tokens + cache_read_tokens), 0) as share
        from responses group by 1 order by 1""", p)
    totals = con.execute(responses + """
        select count(*), coalesce(sum(total_tokens), 0), sum(cost_usd), count(*) filter (where cost_usd is null),
            coalesce(sum(cache_read_tokens), 0) / nullif(sum(input_tokens + cache_creation_tokens + cache_read_tokens), 0)
        from responses""", p).fetchone()
    data.totals.update(responses=totals[0], tokens=totals[1], cost=totals[2], unpriced=totals[3],
                       cache_share=totals[4])
    data.expensive_sessions = _rows(con, responses + f"""
        select responses.session_id, any_value(sessions.title) as title, any_value(sessions.project_path) as project_path,
            any_value(sessions.source) as source, sum(cost_usd) as cost, sum(total_tokens) as tokens,
            any_value(sessions.human_message_count) as prompts
        from responses left join main.sessions as sessions using (session_id)
        group by responses.session_id having sum(cost_usd) > 0
        order by cost desc, responses.session_id limit {TABLE_ROWS}""", p)


def blocks(con, filters: ReportFilters) -> list[dict]:
    """ccusage's 5-hour billing blocks, as `chatlake usage blocks` makes them (its public report)."""
    from chatlake.usage.options import make_options
    from chatlake.usage.report import report_from

    opts = make_options(since=filters.since.strftime("%Y%m%d") if filters.since else None,
                        until=filters.until.strftime("%Y%m%d") if filters.until else None,
                        project=filters.project, sources=filters.sources)
    return [{"start": b["startTime"], "tokens": b["totalTokens"], "cost": b["costUSD"], "responses": b["entries"]}
            for b in report_from(con, "blocks", opts).data["blocks"] if not b["isGap"]]


def _retention(con, data: ReportData, p: dict, claude_dir: Path | None, now: datetime) -> None:
    if not data.filters.keeps_claude_code:  # only Claude Code deletes its transcripts
        return
    data.cleanup_days = retention.read_cleanup_period(claude_dir) if claude_dir else retention.DEFAULT_CLEANUP_DAYS
    rows = con.execute(f"""
        select sessions.session_id, sessions.title, sessions.project_path, sessions.last_at, sessions.source_file,
            make_timestamptz(files.mtime_ns // 1000) as modified_at
        from main.sessions as sessions
        left join raw.files as files on files.source_file = sessions.source_file
        where sessions.source = 'claude_code' and {where('sessions.first_at', 'sessions.project_path', 'sessions.source')}
        """, p).fetchall()
    held = retention.classify(rows, now, data.cleanup_days, os.path.exists)
    data.deleted = retention.deleted(held)
    data.expiring = retention.expiring(held, now)
    data.totals["only_in_chatlake"] = len(data.deleted)
    data.totals["expiring"] = len(data.expiring)
