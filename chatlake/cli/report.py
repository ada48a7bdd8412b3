"""`chatlake report`: a thin typer command over chatlake.report."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from chatlake.cli.common import db_option, fail, note, out
from chatlake.cli.options_source import source_option
from chatlake.core.errors import ChatlakeError


def report_command(
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="The HTML file to write (default: report.html in the data directory, ~/.local/share/chatlake)."),
    open_it: Optional[bool] = typer.Option(None, "--open", help="Open the report in the browser once written."),
    since: Optional[str] = typer.Option(None, "--since", help="Only from this day (YYYY-MM-DD) on."),
    until: Optional[str] = typer.Option(None, "--until", help="Only up to this day (inclusive)."),
    project: Optional[str] = typer.Option(None, "--project", help="Only this project (its path, or its last folders)."),
    source: Optional[list[str]] = source_option("Only"),
    redact: Optional[bool] = typer.Option(None, "--redact", help="Replace secrets in session titles with [REDACTED:kind], to share the page."),
    db: Optional[Path] = db_option(),
) -> None:
    """Write one self-contained HTML page of everything: prompts, tokens and cost, tools, sessions, retention.

    It opens without a network: its scripts, styles and data are inline.
    """
    from chatlake.report import make_filters, write_report

    try:
        filters = make_filters(since, until, project, source)
        result = write_report(output, db=db, filters=filters, redact=redact)
    except ChatlakeError as exc:
        fail(exc)
    out.print(f"wrote {result.path} ({result.bytes / 1e6:.1f} MB, {result.prompts:,} prompts in "
              f"{result.sessions:,} sessions, {result.seconds:.2f}s)", highlight=False)
    if open_it:
        import webbrowser

        if not webbrowser.open(result.path.as_uri()):
            note(f"no browser found; open {result.path.as_uri()}")
