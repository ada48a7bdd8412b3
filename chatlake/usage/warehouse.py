"""The usage reports' reads from the warehouse: `main.assistant_responses` summed in DuckDB.

Every report starts from the same responses (one row per deduplicated API response, as the
mart decides it) and names models and projects as ccusage 20 does: a fast-mode response is
`<model>-fast`, a `<synthetic>` one has no model (it counts, with zero tokens, in no model's
breakdown), and a project is the folder under `projects/` its transcript lies in
(`-home-me-work-api`), else the working directory written the way Claude Code names that folder.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatlake.core.db import table_exists
from chatlake.core.errors import ChatlakeError
from chatlake.usage.options import ReportOptions

HOUR_MS = 3_600_000

_RESPONSES = """
with responses as (
    select
        created_at,
        -- epoch_us: epoch_ms of a timestamptz goes through ICU, ten times slower
        epoch_us(created_at) // 1000 as at_ms,
        case
            when is_synthetic then null
            when speed = 'fast' then model || '-fast'
            else model
        end as model_name,
        coalesce(input_tokens, 0) as input_tokens,
        coalesce(output_tokens, 0) as output_tokens,
        coalesce(cache_creation_tokens, 0) as cache_creation_tokens,
        coalesce(cache_read_tokens, 0) as cache_read_tokens,
        coalesce(cost_usd, 0) as cost,
        cost_usd is null and not is_synthetic and model is not null as missing_price,
        session_id,
        coalesce(
            nullif(regexp_extract(source_file, '/projects/([^/]+)/', 1), ''),
            regexp_replace(project_path, '[^A-Za-z0-9]', '-', 'g'),
            'unknown'
        ) as project,
        project_path
    from main.assistant_responses
    where list_contains($sources, source) and created_at is not null
),

chosen as (
    select *
    from responses
    where ($project is null or project = $project or project_path = $project)
)
"""

# A time zone's offset is a whole number of quarter hours (every zone's, since 1972): responses
# are summed by UTC quarter hour first, and only the quarters are given a local day (ICU's
# conversion costs more than the rest of the query when done for each response).
QUARTER_MS = 900_000
_LOCAL_DAY = "strftime(timezone($tz, to_timestamp({ms} / 1000)), '%Y-%m-%d')"


def _sums(count: str, first: str, last: str) -> str:
    """The select list summing responses: of `chosen` rows, or (`count` their `responses`) of sums."""
    return f"""
    sum(input_tokens)::bigint as input_tokens,
    sum(output_tokens)::bigint as output_tokens,
    sum(cache_creation_tokens)::bigint as cache_creation_tokens,
    sum(cache_read_tokens)::bigint as cache_read_tokens,
    sum(cost)::double as cost,
    bool_or(missing_price) as missing_price,
    {count}::bigint as responses,
    min({first}) as first_ms,
    max({last}) as last_ms
"""


_SUMS = _sums("count(*)", "at_ms", "at_ms")
_RESUMS = _sums("sum(responses)", "first_ms", "last_ms")


@dataclass(frozen=True)
class Usage:
    """Tokens and cost of a group of responses of one model (None: no model, e.g. `<synthetic>`)."""

    model: str | None
    input_tokens: int
    output_tokens: int
    cache_creation_tokens: int
    cache_read_tokens: int
    cost: float
    missing_price: bool
    responses: int
    first_ms: int
    last_ms: int

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_creation_tokens + self.cache_read_tokens


def _params(opts: ReportOptions, tz: str) -> dict:
    return {"tz": tz, "project": opts.project, "sources": list(opts.sources)}


def resolve_timezone(con, name: str | None) -> str:
    """The IANA zone days are counted in: `name`, else the machine's (DuckDB reads it as ccusage does)."""
    if name is None:
        return con.execute("select current_setting('TimeZone')").fetchone()[0]
    known = con.execute("select count(*) from pg_timezone_names() where name = ?", [name]).fetchone()[0]
    if not known:
        from chatlake.core.errors import BadOption

        raise BadOption(f"invalid value for --timezone {name!r}: expected an IANA time zone such as"
                        " UTC or Europe/Berlin, or local")
    return name


def require_responses(con) -> None:
    if not table_exists(con, "main", "assistant_responses"):
        raise ChatlakeError("this warehouse holds no API responses yet; run `chatlake import` to build them")


def _usage(row: tuple) -> Usage:
    return Usage(*row)


def day_usage(con, opts: ReportOptions, tz: str, by_project: bool) -> list[tuple[str, str | None, Usage]]:
    """(local day, project or None, usage of one model) for each day and model, oldest first."""
    project = "project" if by_project else "null::varchar"
    rows = con.execute(
        _RESPONSES + f"""
        , quarters as (
            select at_ms // {QUARTER_MS} as quarter, {project} as project, model_name, {_SUMS}
            from chosen
            group by all
        ),
        days as (
            select quarter, {_LOCAL_DAY.format(ms=f"quarter * {QUARTER_MS}")} as day
            from (select distinct quarter from quarters)
        )
        select day, project, model_name, {_RESUMS}
        from quarters
        join days using (quarter)
        where ($since is null or replace(day, '-', '') >= $since)
          and ($until is null or replace(day, '-', '') <= $until)
        group by all
        order by day, project, first_ms, model_name
        """, {**_params(opts, tz), "since": opts.since, "until": opts.until}).fetchall()
    return [(day, proj, _usage(rest)) for day, proj, *rest in rows]


def session_usage(con, opts: ReportOptions, tz: str) -> list[tuple[str, str, str, Usage]]:
    """(session id, project of its latest response, local day of that response, usage of one model)."""
    rows = con.execute(
        _RESPONSES + f"""
        , sessions as (
            select session_id, latest_project, {_LOCAL_DAY.format(ms="last_ms")} as latest_day
            from (
                select session_id, arg_max(project, at_ms) as latest_project, max(at_ms) as last_ms
                from chosen
                group by session_id
            )
        )
        select chosen.session_id, sessions.latest_project, sessions.latest_day, model_name, {_SUMS}
        from chosen
        join sessions using (session_id)
        where ($since is null or replace(latest_day, '-', '') >= $since)
          and ($until is null or replace(latest_day, '-', '') <= $until)
        group by all
        order by chosen.session_id, first_ms, model_name
        """, {**_params(opts, tz), "since": opts.since, "until": opts.until}).fetchall()
    return [(sid, proj, day, _usage(rest)) for sid, proj, day, *rest in rows]


@dataclass(frozen=True)
class Slice:
    """Responses of one model that no block boundary can fall between: same run of activity
    (no pause over the block length), same hour (an hour's end included, its start not)."""

    segment: int
    hour_end_ms: int
    usage: Usage


def block_slices(con, opts: ReportOptions, length_ms: int) -> list[Slice]:
    """The responses cut into Slices, in time order: the blocks are made of whole Slices."""
    rows = con.execute(
        _RESPONSES + f"""
        , paused as (
            select *, coalesce(at_ms - lag(at_ms) over (order by at_ms) > $length, false) as opens
            from chosen
        ),
        runs as (
            select *,
                -- range, not rows: responses at the same instant share a segment whatever their order
                sum(opens::integer) over (order by at_ms range between unbounded preceding and current row) as segment,
                (at_ms + {HOUR_MS - 1}) // {HOUR_MS} * {HOUR_MS} as hour_end_ms
            from paused
        )
        select segment, hour_end_ms, model_name, {_SUMS}
        from runs
        group by all
        order by segment, hour_end_ms, first_ms, model_name
        """, {"project": opts.project, "sources": list(opts.sources), "length": length_ms}).fetchall()
    return [Slice(seg, hour_end, _usage(rest)) for seg, hour_end, *rest in rows]


def local_days(con, tz: str, instants_ms: list[int]) -> list[str]:
    """The local day (YYYYMMDD) in `tz` of each instant, in order."""
    if not instants_ms:
        return []
    return con.execute(
        "select list_transform($ms::bigint[], lambda ms: strftime(timezone($tz, to_timestamp(ms / 1000)), '%Y%m%d'))",
        {"ms": instants_ms, "tz": tz}).fetchone()[0]
