"""`chatlake usage daily|weekly|monthly|session|blocks`: ccusage 20's reports from the warehouse.

`--json` prints what `ccusage claude <report> --json` prints; without it, a table that fits the
terminal. Costs are what the API would charge at list price: an estimate, not a bill.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from chatlake.cli.common import db_option, err, fail, wait_option
from chatlake.cli.common import page as out
from chatlake.cli.options_source import source_option
from chatlake.core.errors import ChatlakeError

usage_app = typer.Typer(
    help="Token usage and its API-price cost by day, week, month, session or 5-hour block, as ccusage reports it.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

WIDE = 100  # below this many columns the cache columns are left out, as ccusage does

SINCE = typer.Option(None, "--since", "-s", help="First day (YYYY-MM-DD or YYYYMMDD).")
UNTIL = typer.Option(None, "--until", "-u", help="Last day (YYYY-MM-DD or YYYYMMDD).")
TZ = typer.Option(None, "--timezone", "-z", help="IANA time zone days are counted in (default: the machine's).")
PROJECT = typer.Option(None, "--project", "-p", help="Only this project: its folder under projects/ or its working directory.")
BREAKDOWN = typer.Option(None, "--breakdown", "-b", help="A row per model under each row of the table.")
ORDER = typer.Option(None, "--order", "-o", help="asc (oldest first, the default) or desc.")
JSON = typer.Option(None, "--json", "-j", help="Print ccusage's JSON for this report.")
DB = db_option()
WAIT = wait_option()
INSTANCES = typer.Option(None, "--instances", "-i", help="Rows per project.")
SOURCE = source_option("Only the usage of")  # default: every app that records usage


def _run(kind: str, db: Optional[Path], as_json: Optional[bool], wait: Optional[bool], breakdown: Optional[bool],
         **flags) -> None:
    from chatlake.usage import make_options, usage_report

    try:
        report = usage_report(kind, db, make_options(**flags), wait=wait)
    except ChatlakeError as exc:
        fail(exc)
    for model in report.missing_prices:
        err.print(f"[yellow]warning:[/] no price for {escape(model)}: its cost is left out", highlight=False)
    if as_json:
        from chatlake.usage.jsonout import dumps

        sys.stdout.write(dumps(report.data) + "\n")
        return
    from chatlake.usage.table import render

    render(report, out, breakdown=bool(breakdown), wide=out.width >= WIDE)


def _period_command(kind: str, what: str):
    """The daily and monthly commands: the same flags, another report."""

    def command(since: Optional[str] = SINCE, until: Optional[str] = UNTIL, timezone: Optional[str] = TZ,
                project: Optional[str] = PROJECT, source: Optional[list[str]] = SOURCE,
                instances: Optional[bool] = INSTANCES, breakdown: Optional[bool] = BREAKDOWN,
                order: Optional[str] = ORDER, as_json: Optional[bool] = JSON, db: Optional[Path] = DB,
                wait: Optional[bool] = WAIT) -> None:
        _run(kind, db, as_json, wait, breakdown, since=since, until=until, timezone=timezone, project=project,
             sources=source, instances=bool(instances), order=order)

    command.__doc__ = f"Usage by {what}."
    return command


usage_app.command("daily")(_period_command("daily", "day"))
usage_app.command("monthly")(_period_command("monthly", "month"))


@usage_app.command("weekly")
def weekly_command(since: Optional[str] = SINCE, until: Optional[str] = UNTIL, timezone: Optional[str] = TZ,
                   project: Optional[str] = PROJECT, source: Optional[list[str]] = SOURCE,
                   instances: Optional[bool] = INSTANCES, breakdown: Optional[bool] = BREAKDOWN,
                   order: Optional[str] = ORDER,
                   start_of_week: Optional[str] = typer.Option(None, "--start-of-week", "-w",
                                                               help="The day weeks start on (default: sunday)."),
                   as_json: Optional[bool] = JSON, db: Optional[Path] = DB, wait: Optional[bool] = WAIT) -> None:
    """Usage by week."""
    _run("weekly", db, as_json, wait, breakdown, since=since, until=until, timezone=timezone, project=project,
         sources=source, instances=bool(instances), order=order, start_of_week=start_of_week)


@usage_app.command("session")
def session_command(since: Optional[str] = SINCE, until: Optional[str] = UNTIL, timezone: Optional[str] = TZ,
                    project: Optional[str] = PROJECT, source: Optional[list[str]] = SOURCE,
                    breakdown: Optional[bool] = BREAKDOWN,
                    order: Optional[str] = typer.Option(None, "--order", "-o",
                                                        help="desc (costliest first, the default) or asc."),
                    as_json: Optional[bool] = JSON, db: Optional[Path] = DB, wait: Optional[bool] = WAIT) -> None:
    """Usage by session, the costliest first (a session is in --since/--until by its last activity)."""
    _run("session", db, as_json, wait, breakdown, since=since, until=until, timezone=timezone, project=project,
         sources=source, order=order)


@usage_app.command("blocks")
def blocks_command(since: Optional[str] = SINCE, until: Optional[str] = UNTIL, timezone: Optional[str] = TZ,
                   project: Optional[str] = PROJECT, source: Optional[list[str]] = SOURCE,
                   order: Optional[str] = ORDER,
                   active: Optional[bool] = typer.Option(None, "--active", "-a", help="Only the active block."),
                   recent: Optional[bool] = typer.Option(None, "--recent", "-r",
                                                         help="Only the blocks of the last 3 days."),
                   as_json: Optional[bool] = JSON, db: Optional[Path] = DB, wait: Optional[bool] = WAIT) -> None:
    """Usage in 5-hour billing blocks, with the active block's burn rate and projection."""
    _run("blocks", db, as_json, wait, None, since=since, until=until, timezone=timezone, project=project,
         sources=source, order=order, active=bool(active), recent=bool(recent))
