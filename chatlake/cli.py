"""The `chatlake` command: a thin typer layer over chatlake.api."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column

from chatlake.api import ImportSummary, import_transcripts
from chatlake.config import data_dir
from chatlake.errors import BadDatabasePath, ChatlakeError, ImportInterrupted

app = typer.Typer(
    help="A local warehouse of everything you asked Claude Code (and other assistants).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        out.print(f"chatlake {version('chatlake')}", highlight=False)
        raise typer.Exit(0)


@app.callback()
def _root(
    _version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                  help="Print the version and exit."),
) -> None:
    """chatlake: import, embed and search what you asked your AI coding assistants."""


DB_OPTION = typer.Option(None, "--db", help="Warehouse file (default: $CHATLAKE_DB, else ~/.local/share/chatlake/chatlake.duckdb).")


def fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


def example_tree() -> Path:
    """A small generated tree for people without Claude Code (made once, then reused)."""
    from chatlake.generate import TranscriptGenerator

    root = data_dir() / "example-projects"
    if not root.exists():
        tmp = Path(tempfile.mkdtemp(prefix="example-", dir=str(root.parent) if root.parent.exists() else None))
        TranscriptGenerator(tmp, seed=2026).write_tree(sessions=12, prompts=8)
        root.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(root)
    return root


class _ProgressBar:
    """The import's phases on stderr, each with a running clock: landing (files, MB/s, the
    current file), then the dbt build. Fits the terminal's width; silent when stderr is no terminal."""

    BAR = 20

    def __init__(self, enabled: bool, console: Console | None = None) -> None:
        self.console = console or err
        # rich's live display leaves a blank line behind on a stream that is no terminal
        self.enabled = enabled and self.console.is_terminal
        self.progress: Progress | None = None
        self.task = None
        self.started = time.monotonic()

    def __enter__(self) -> "_ProgressBar":
        if self.enabled:
            fixed = dict(table_column=Column(no_wrap=True))
            self.progress = Progress(
                TextColumn("[bold]{task.description}", **fixed), BarColumn(bar_width=self.BAR),
                TextColumn("{task.fields[count]}", **fixed), TextColumn("{task.fields[rate]}", **fixed),
                TimeElapsedColumn(), TextColumn("{task.fields[current]}", **fixed),
                console=self.console, transient=True,
            )
            self.progress.__enter__()
            self.task = self.progress.add_task("landing", total=None, count="", rate="", current="")
        return self

    def __call__(self, done: int, total: int, bytes_read: int, current: str) -> None:
        if not self.progress:
            return
        elapsed = max(time.monotonic() - self.started, 1e-6)
        count = f"{done}/{total} files"
        rate = f"{bytes_read / elapsed / 1e6:.1f} MB/s"
        # the file name gets what the other columns leave (columns are one space apart)
        room = self.console.width - len("landing") - self.BAR - len(count) - len(rate) - len("0:00:00") - 6
        name = Path(current).name if current else ""
        if len(name) > room:
            name = name[:room - 1] + "…" if room > 8 else ""
        self.progress.update(self.task, completed=done, total=total, count=count, rate=rate, current=name)

    def phase(self, name: str) -> None:
        """The landing is over: its line (and its stopped clock) gives way to one for `name`, with a running clock."""
        if not self.progress or name == "landing":
            return
        self.progress.update(self.task, visible=False)
        self.task = self.progress.add_task(name, total=None, count="", rate="", current="")

    def __exit__(self, *exc) -> None:
        if self.progress:
            self.progress.__exit__(*exc)


def _n(count: int, word: str, plural: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else plural or word + 's'}"


def print_summary(s: ImportSummary) -> None:
    p = lambda text: out.print(text, highlight=False)  # noqa: E731
    p("roots: " + ", ".join(s.roots))
    # an export-only run has no transcript files to speak of
    if s.files_seen or not s.export_files_seen:
        p(f"files: {s.files_seen:,} seen, {s.files_new:,} new, {s.files_appended:,} appended, "
          f"{s.files_unchanged:,} unchanged, {s.files_rewritten:,} rewritten, {s.files_failed:,} failed")
        p(f"lines: {s.lines_landed:,} landed, {s.lines_rejected:,} rejected")
    if s.export_files_seen:
        p(f"exports: {_n(s.export_files_seen, 'file')}; conversations: {s.conversations_landed:,} landed, "
          f"{s.conversations_unchanged:,} unchanged, {s.conversations_rejected:,} rejected")
    if s.built:
        without = s.sessions_touched - s.sessions_in_marts
        p(f"sessions: {s.sessions_touched:,} touched"
          + (f", {without:,} of them without a human message (not in `sessions`)" if without else ""))
    p(f"human messages: {s.human_messages_added:,} added, {s.human_messages_total:,} in total")
    if not s.built:
        p("nothing new: dbt not run")
    elif s.build_scope == "increment":
        p("dbt: incremental models and the marts' contract tests (project unchanged since its last full build)")
    p(f"warehouse: {s.db} ({s.seconds:.2f}s)")
    _print_problems(s)


def _print_problems(s: ImportSummary) -> None:
    for failure in s.failures:
        err.print(f"[yellow]unreadable:[/] {escape(failure)}", highlight=False)
    for rejection in s.rejections:
        err.print(f"[yellow]rejected:[/] {escape(rejection)}", highlight=False)
    if s.conversations_rejected > len(s.rejections):
        more = s.conversations_rejected - len(s.rejections)
        err.print(f"[yellow]rejected:[/] {_n(more, 'more conversation')} (reasons in raw.rejected_conversations)",
                  highlight=False)
    for failure in s.test_failures:
        err.print(f"[red]dbt:[/] {escape(failure)}", highlight=False)


@app.command("import")
def import_command(
    roots: Optional[list[Path]] = typer.Argument(None, help="Folders of transcripts (default: ~/.claude/projects and $CLAUDE_CONFIG_DIR/projects, Codex CLI's $CODEX_HOME/sessions and archived_sessions, Gemini CLI's ~/.gemini/tmp), or ChatGPT / Claude.ai exports (conversations.json or the .zip; folders are searched for conversations*.json and export zips)."),
    db: Optional[Path] = DB_OPTION,
    full_refresh: bool = typer.Option(False, "--full-refresh", help="Read every transcript again (replacing its lines) and rebuild every mart from the raw layer."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    wait: bool = typer.Option(False, "--wait", help="Wait for another writer to finish instead of exiting."),
    example: bool = typer.Option(False, "--example", help="Import a small generated example tree instead, into a warehouse of its own (~/.local/share/chatlake/example.duckdb unless --db is given)."),
    source_kind: Optional[str] = typer.Option(None, "--source-kind", help="Kind of the export files: auto (detect from content, the default), chatgpt or claude_ai."),
    no_codex: bool = typer.Option(False, "--no-codex", help="Do not read Codex CLI's default folders ($CODEX_HOME, else ~/.codex)."),
    no_gemini: bool = typer.Option(False, "--no-gemini", help="Do not read Gemini CLI's default folder (~/.gemini/tmp, under $GEMINI_CLI_HOME when set)."),
) -> None:
    """Land new transcript lines in DuckDB and rebuild the marts incrementally with dbt."""
    if example:
        if roots:
            fail("--example takes no ROOT", 2)
        roots = [example_tree()]
        # Generated prompts never go into the real warehouse: $CHATLAKE_DB is the real one too.
        db = db or data_dir() / "example.duckdb"
    for root in roots or []:
        if not root.exists():
            fail(f"{root}: no such file or directory", 2)
    if source_kind is not None:
        from chatlake.extract.exports.land import parse_kind

        try:
            parse_kind(source_kind)
        except ChatlakeError as exc:
            fail(str(exc), 2)
    try:
        from chatlake.project import upgrade_notice

        notice = upgrade_notice()
    except ChatlakeError as exc:
        fail(str(exc), 2)
    if notice and not as_json:
        err.print(f"[yellow]note:[/] {notice}", highlight=False)
    try:
        with _ProgressBar(enabled=not (quiet or as_json)) as bar:
            # The config file (issue 14) adds the tools it turns off to this set.
            skip = {name for name, off in (("codex", no_codex), ("gemini_cli", no_gemini)) if off}
            summary = import_transcripts(roots or None, db, full_refresh=full_refresh,
                                         on_progress=bar, wait=3600.0 if wait else 0.0, source_kind=source_kind,
                                         on_phase=bar.phase, skip_sources=frozenset(skip))
    except ImportInterrupted as exc:
        err.print(f"interrupted: {exc}", highlight=False, markup=False)
        raise typer.Exit(130)
    except ChatlakeError as exc:
        fail(str(exc), 2 if isinstance(exc, BadDatabasePath) else 1)
    except KeyboardInterrupt:
        err.print("interrupted: nothing from this run was committed; run the same command again to finish")
        raise typer.Exit(130)
    if as_json:
        sys.stdout.write(json.dumps(summary.to_dict(), indent=2) + "\n")
    elif not quiet:
        print_summary(summary)
    elif not summary.ok:
        _print_problems(summary)
    raise typer.Exit(0 if summary.ok else 1)


project_app = typer.Typer(help="Your own copy of the dbt project (seeds, marts, analyses): init, path, diff.",
                          no_args_is_help=True)
app.add_typer(project_app, name="project")


@project_app.command("init")
def project_init_command(
    directory: Path = typer.Argument(..., help="Folder for the copy (made if missing)."),
    force: bool = typer.Option(False, "--force", help="Overwrite the shipped files in a folder that already holds a copy."),
) -> None:
    """Copy the dbt project to DIRECTORY; set $CHATLAKE_PROJECT_DIR to it to make every command use it."""
    from chatlake.project import init_project

    try:
        result = init_project(directory, force=force)
    except ChatlakeError as exc:
        fail(str(exc), 2)
    except OSError as exc:
        fail(f"{directory}: {exc.strerror or exc}")
    out.print(f"copied {result.files} files to {result.path}", highlight=False)
    out.print(f"use it:  export CHATLAKE_PROJECT_DIR={result.path}", highlight=False)
    out.print("then `chatlake import --full-refresh` applies your seeds and marts", highlight=False)


@project_app.command("path")
def project_path_command() -> None:
    """Print the dbt project every command uses."""
    from chatlake.config import project_dir

    try:
        out.print(str(project_dir()), highlight=False)
    except ChatlakeError as exc:
        fail(str(exc), 2)


@project_app.command("diff")
def project_diff_command() -> None:
    """List the installed project's files that your copy lacks or changed (exit 1 if any)."""
    from chatlake.project import project_diff

    try:
        changed = project_diff()
    except ChatlakeError as exc:
        fail(str(exc), 2)
    for line in changed:
        out.print(line, highlight=False)
    raise typer.Exit(1 if changed else 0)


from chatlake.embed.cli import embed_command  # noqa: E402

app.command("embed")(embed_command)

from chatlake.ask_cli import SqlCommand, search_command, sql_command, status_command  # noqa: E402

app.command("search")(search_command)
app.command("sql", cls=SqlCommand)(sql_command)
app.command("status")(status_command)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # python -m chatlake.cli
    app()
