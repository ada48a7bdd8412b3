"""`chatlake show SESSION`: a thin typer command over chatlake.show."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

from chatlake.cli.common import db_option, err, fail
from chatlake.cli.common import page as out
from chatlake.cli.options_source import source_option
from chatlake.core.errors import ChatlakeError
from chatlake.core.settings import pager_environment


def _write(output: Path | None, text: str) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")


def show_command(
    session: Optional[str] = typer.Argument(None, help="A session id, or its first characters (8 are enough)."),
    last: Optional[bool] = typer.Option(None, "--last", help="The most recent session (of --project and --source, when given)."),
    project: Optional[str] = typer.Option(None, "--project", help="With --last or a prefix: only this project (its path, or its last folders)."),
    source: Optional[list[str]] = source_option("With --last or a prefix: only sessions from"),
    fmt: Optional[str] = typer.Option(None, "--format", help="terminal (default), markdown, html (one self-contained page) or json."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
    thinking: Optional[bool] = typer.Option(None, "--thinking", help="Show the assistant's thinking."),
    show_all: Optional[bool] = typer.Option(None, "--all", help="Show injected text too (caveats, reminders, hook output, compaction)."),
    agents: Optional[bool] = typer.Option(None, "--agents", help="Expand each sub-agent's work under the call that started it."),
    redact: Optional[bool] = typer.Option(None, "--redact", help="Replace secrets (API keys, tokens, passwords) with [REDACTED:kind], to share the page."),
    db: Optional[Path] = db_option(),
) -> None:
    """Read one conversation again: prompts, replies, one line per tool call (its result folded), sub-agents nested.

    For a Claude Code session it ends with the command that resumes it.
    """
    from chatlake.show import FORMATS, AmbiguousSession, load_conversation, render_text

    fmt = fmt or "terminal"
    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}; formats are {', '.join(FORMATS)}", 2)
    try:
        conv = load_conversation(session, db=db, last=last, project=project, thinking=thinking,
                                 injected=show_all, redact=redact, sources=source)
    except AmbiguousSession as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}:", highlight=False)
        for c in exc.candidates:
            when = c.last_at.astimezone().strftime("%Y-%m-%d %H:%M") if c.last_at else "?"
            where = Path(c.project_path).name if c.project_path else c.source
            err.print(f"  {c.session_id}  {when}  {escape(where)}  {escape(c.title or '')}", highlight=False,
                      overflow="ellipsis", no_wrap=True)
        if exc.more:
            err.print(f"  … and {exc.more} more", highlight=False)
        raise typer.Exit(2)
    except ChatlakeError as exc:
        fail(exc)
    if fmt != "terminal":
        text = render_text(conv, fmt, expand_agents=agents)
        _write(output, text)
        return
    from chatlake.show import terminal

    page, footer = terminal.render(conv, conv.events, expand_agents=agents), terminal.footer(conv)

    def emit(console: Console) -> None:
        console.print(page)
        if footer:
            console.print(footer, soft_wrap=True)

    if output or not out.is_terminal:
        plain = Console(file=io.StringIO(), width=out.size.width if not output else 100, color_system=None)
        emit(plain)
        # indented blocks are padded to the width: a file or a pipe gets no trailing blanks
        text = "\n".join(line.rstrip() for line in plain.file.getvalue().splitlines()) + "\n"
        _write(output, text)
        return
    with out.capture() as captured:
        emit(out)
    if captured.get().count("\n") < out.size.height:
        sys.stdout.write(captured.get())
        return
    # $PAGER, else less, with colours (LESS=FRX unless the user set LESS, as git does)
    pager_environment()
    with out.pager(styles=True):
        emit(out)
