"""What every command shares: the consoles, `fail`, the exit codes, the common options, the
progress display and the plural of a count."""

from __future__ import annotations

import json
import sys
import time
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column

from chatlake.core.errors import ChatlakeError, UsageError

# stdout carries results only (tables, JSON); messages, notes and progress go to stderr
out = Console(soft_wrap=True)
# stdout for what is read as a page (a conversation, a report's table): wrapped at the terminal's width
page = Console()
err = Console(stderr=True, soft_wrap=True)

EXIT_OK = 0
EXIT_FAILED = 1  # the command ran and something failed: a file unreadable, a text refused, a build test
EXIT_USAGE = 2  # the command was asked for something that cannot be
EXIT_BUDGET = 3  # `embed` stopped at --max-cost
EXIT_INTERRUPTED = 130  # Ctrl+C, as a shell reports SIGINT

DB_HELP = "Warehouse file (default: $CHATLAKE_DB, else the config file's `db`, else ~/.local/share/chatlake/chatlake.duckdb)."


def db_option():
    return typer.Option(None, "--db", help=DB_HELP)


def wait_option():
    return typer.Option(None, "--wait", help="Wait for an import holding the warehouse instead of exiting.")


def json_option(what: str = "the result"):
    return typer.Option(None, "--json", help=f"Print {what} as JSON.")


def fail(problem: str | ChatlakeError, code: int | None = None) -> NoReturn:
    """One line on stderr, then the exit: 2 for a UsageError (or when `code` says so), else 1."""
    if code is None:
        code = EXIT_USAGE if isinstance(problem, UsageError) else EXIT_FAILED
    err.print(f"[bold red]error:[/] {escape(str(problem))}", highlight=False)
    raise typer.Exit(code)


def note(text: str) -> None:
    err.print(f"[yellow]note:[/] {escape(text)}", highlight=False)


def write_json(data) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def show_summary(summary, as_json: bool | None, quiet: bool | None, show, problems=None) -> None:
    """A command's summary: JSON on stdout, else `show(summary)` unless quiet; a quiet run still
    says its problems through `problems(summary)`."""
    if as_json:
        write_json(summary.to_dict())
    elif not quiet:
        show(summary)
    elif problems is not None and not summary.ok:
        problems(summary)


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 file`, `2,000 files`; `many` for a plural that is not the word and an s."""
    return f"{count:,} {word if count == 1 else many or word + 's'}"


class PhaseProgress:
    """A command's phases on stderr, each on one line with a running clock; the command's own
    columns (counts, rates, the current file) after the bar. Fits the terminal's width; silent
    when stderr is no terminal (rich's live display leaves a blank line behind on one)."""

    BAR = 20
    FIELDS: tuple[str, ...] = ()
    FIRST_PHASE = "starting"

    def __init__(self, enabled: bool, console: Console | None = None, clock=time.monotonic) -> None:
        self.console = console or err
        self.enabled = enabled and self.console.is_terminal
        self.clock = clock
        self.progress: Progress | None = None
        self.task = None
        self.started = clock()

    def columns(self) -> list:
        fixed = dict(table_column=Column(no_wrap=True))
        fields = [TextColumn(f"{{task.fields[{name}]}}", **fixed) for name in self.FIELDS]
        # the last field (a file name, an ETA) follows the clock
        return [TextColumn("[bold]{task.description}", **fixed), BarColumn(bar_width=self.BAR),
                *fields[:-1], TimeElapsedColumn(), *fields[-1:]]

    def __enter__(self):
        if self.enabled:
            self.progress = Progress(*self.columns(), console=self.console, transient=True)
            self.progress.__enter__()
            self.task = self._add(self.FIRST_PHASE)
        return self

    def _add(self, name: str):
        return self.progress.add_task(name, total=None, **{f: "" for f in self.FIELDS})

    def update(self, **fields) -> None:
        if self.progress:
            self.progress.update(self.task, **fields)

    def phase(self, name: str) -> None:
        """A new phase: the line of the one before (and its stopped clock) gives way to one for `name`."""
        if not self.progress or name == self.progress.tasks[-1].description:
            return
        self.progress.update(self.task, visible=False)
        self.task = self._add(name)

    def __exit__(self, *exc) -> None:
        if self.progress:
            self.progress.__exit__(*exc)
