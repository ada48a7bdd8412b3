"""`chatlake report`: a thin typer command over chatlake.report (registered in chatlake/cli.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

from chatlake.errors import BadDatabasePath, ChatlakeError

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def report_command(
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="The HTML file to write (default: report.html in the data directory, ~/.local/share/chatlake)."),
    open_it: bool = typer.Option(False, "--open", help="Open the report in the browser once written."),
    since: Optional[str] = typer.Option(None, "--since", help="Only from this day (YYYY-MM-DD) on."),
    until: Optional[str] = typer.Option(None, "--until", help="Only up to this day (inclusive)."),
    project: Optional[str] = typer.Option(None, "--project", help="Only this project (its path, or its last folders)."),
    source: Optional[str] = typer.Option(None, "--source", help="Only this source: claude_code, chatgpt, claude_ai, codex or gemini."),
    redact: bool = typer.Option(False, "--redact", help="Replace secrets in session titles with [REDACTED:kind], to share the page."),
    db: Optional[Path] = typer.Option(None, "--db", help="Warehouse file (default: $CHATLAKE_DB, else ~/.local/share/chatlake/chatlake.duckdb)."),
) -> None:
    """Write one self-contained HTML page of everything: prompts, tokens and cost, tools, sessions, retention.

    It opens without a network: its scripts, styles and data are inline.
    """
    from chatlake.report import BadReportOption, make_filters, write_report

    try:
        filters = make_filters(since, until, project, source)
        result = write_report(output, db=db, filters=filters, redact=redact)
    except (BadReportOption, BadDatabasePath) as exc:
        _fail(str(exc), 2)
    except ChatlakeError as exc:
        _fail(str(exc))
    out.print(f"wrote {result.path} ({result.bytes / 1e6:.1f} MB, {result.prompts:,} prompts in "
              f"{result.sessions:,} sessions, {result.seconds:.2f}s)", highlight=False)
    if open_it:
        import webbrowser

        if not webbrowser.open(result.path.as_uri()):
            err.print(f"[yellow]note:[/] no browser found; open {escape(result.path.as_uri())}", highlight=False)
