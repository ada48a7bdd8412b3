"""`chatlake sql`: read-only queries over the warehouse, and the ready-made analyses."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from typer.core import TyperCommand

from chatlake.cli.common import db_option, fail, out, wait_option
from chatlake.core.errors import ChatlakeError
from chatlake.core.settings import pager_environment


def _show(result, fmt: str, wide: bool = False) -> None:
    from chatlake import sql as sqlcmd

    if fmt != "table":
        render = {"csv": sqlcmd.to_csv, "json": sqlcmd.to_json, "markdown": sqlcmd.to_markdown}[fmt]
        sys.stdout.write(render(result))
        return
    footer = f"[dim]{len(result.rows)} row{'s' if len(result.rows) != 1 else ''}[/]"
    if not out.is_terminal:  # a pipe or a file gets every cell whole and no pager
        out.print(sqlcmd.to_table(result))
        out.print(footer, highlight=False)
        return
    table = sqlcmd.to_table(result, cut=None if wide else out.size.width)
    with out.capture() as captured:
        out.print(table)
        out.print(footer, highlight=False)
    if captured.get().count("\n") < out.size.height:
        sys.stdout.write(captured.get())
        return
    # $PAGER, else less; less shows the table's colours (not ESC[1m) only with -R: as git does,
    # chatlake sets LESS when the user has not
    pager_environment()
    with out.pager(styles=True):
        out.print(table)
        out.print(footer, highlight=False)


class SqlCommand(TyperCommand):
    """`chatlake sql "-- note\nselect 1"`: an argument that starts with `-` but holds a space or a
    newline is a query (an option name never does), so it is moved behind `--` before parsing."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        if "--" not in args:
            queries = [a for a in args if a.startswith("-") and any(c.isspace() for c in a)]
            if queries:
                args = [a for a in args if a not in queries] + ["--", *queries]
        return super().parse_args(ctx, args)


COMMAND_CLASS = SqlCommand  # the root group builds the command with it (chatlake/cli/__init__.py)


def sql_command(
    query: Optional[str] = typer.Argument(None, help="A query (without one: an interactive prompt with history)."),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="table, csv, json or markdown (default: table)."),
    analysis: Optional[str] = typer.Option(None, "--analysis", "-a", help="Run analyses/NAME.sql (--list shows them)."),
    list_: Optional[bool] = typer.Option(None, "--list", help="List the ready-made analyses."),
    db: Optional[Path] = db_option(),
    wait: Optional[bool] = wait_option(),
    allow_files: Optional[bool] = typer.Option(None, "--allow-files", help="Let the query read and write files outside the warehouse (COPY ... TO, read_csv, ATTACH, extensions); off by default."),
    wide: Optional[bool] = typer.Option(None, "--wide", help="In a terminal, show cells whole instead of cutting them to fit the screen."),
) -> None:
    """Query the warehouse (read-only): main.human_messages, main.sessions, raw.* and embed.*."""
    from chatlake import sql as sqlcmd
    from chatlake.core.settings import resolve

    fmt = fmt or "table"
    if fmt not in sqlcmd.FORMATS:
        fail(f"--format must be one of {', '.join(sqlcmd.FORMATS)}", 2)
    if list_:
        names = sqlcmd.list_analyses()
        width = max(map(len, names), default=0)
        for name in names:
            out.print(f"{name:<{width}}  {escape(sqlcmd.analysis_description(name))}".rstrip(), highlight=False)
        return
    if query and analysis:
        fail("pass a QUERY or --analysis, not both", 2)
    try:
        settings = resolve(db=db, wait=wait)
    except ChatlakeError as exc:
        fail(exc)
    path, wait = settings.db, settings.wait
    show = lambda result, fmt: _show(result, fmt, wide)  # noqa: E731
    try:
        if analysis:
            query = sqlcmd.analysis_sql(analysis)
        if query is None:
            if not sys.stdin.isatty():
                query = sys.stdin.read()
            else:
                sqlcmd.run_query(path, "select 1", wait=wait)  # fail early: missing or locked
                sqlcmd.repl(path, fmt, show, allow_files=bool(allow_files))
                return
        show(sqlcmd.run_query(path, query, wait=wait, allow_files=bool(allow_files)), fmt)
    except ChatlakeError as exc:
        fail(exc)


