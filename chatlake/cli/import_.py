"""`chatlake import`: land new transcript lines and exports, then build the marts."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from chatlake.cli.common import (EXIT_INTERRUPTED, EXIT_USAGE, PhaseProgress, db_option, err, fail, json_option,
                                 note, out, plural, show_summary, wait_option)
from chatlake.core.errors import ChatlakeError, ImportInterrupted
from chatlake.pipeline import ImportSummary, import_transcripts


class _ProgressBar(PhaseProgress):
    """The import's phases: landing (files, MB/s, the current file), then the dbt build."""

    FIELDS = ("count", "rate", "current")
    FIRST_PHASE = "landing"

    def __call__(self, done: int, total: int, bytes_read: int, current: str) -> None:
        if not self.progress:
            return
        elapsed = max(self.clock() - self.started, 1e-6)
        count = f"{done}/{total} files"
        rate = f"{bytes_read / elapsed / 1e6:.1f} MB/s"
        # the file name gets what the other columns leave (columns are one space apart)
        room = self.console.width - len("landing") - self.BAR - len(count) - len(rate) - len("0:00:00") - 6
        name = Path(current).name if current else ""
        if len(name) > room:
            name = name[:room - 1] + "…" if room > 8 else ""
        self.update(completed=done, total=total, count=count, rate=rate, current=name)

    def phase(self, name: str) -> None:
        """dbt moves between models and their tests many times: one line, one clock, for the build."""
        build = ("building the marts", "testing the marts")
        if self.progress and name in build and self.progress.tasks[-1].description in build:
            self.update(description=name)
            return
        super().phase(name)


def print_summary(s: ImportSummary) -> None:
    p = lambda text: out.print(text, highlight=False)  # noqa: E731
    p("roots: " + ", ".join(s.roots))
    # an export-only run has no transcript files to speak of
    if s.files_seen or not s.export_files_seen:
        p(f"files: {s.files_seen:,} seen, {s.files_new:,} new, {s.files_appended:,} appended, "
          f"{s.files_unchanged:,} unchanged, {s.files_rewritten:,} rewritten, {s.files_failed:,} failed")
        p(f"lines: {s.lines_landed:,} landed, {s.lines_rejected:,} rejected")
    if s.export_files_seen:
        p(f"exports: {plural(s.export_files_seen, 'file')}; conversations: {s.conversations_landed:,} landed, "
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
        err.print(f"[yellow]rejected:[/] {plural(more, 'more conversation')} (reasons in raw.rejected_conversations)",
                  highlight=False)
    for failure in s.test_failures:
        err.print(f"[red]dbt:[/] {escape(failure)}", highlight=False)


def import_command(
    roots: Optional[list[Path]] = typer.Argument(None, help="Folders of transcripts (default: ~/.claude/projects and $CLAUDE_CONFIG_DIR/projects, Codex CLI's $CODEX_HOME/sessions and archived_sessions, Gemini CLI's ~/.gemini/tmp), or ChatGPT / Claude.ai exports (conversations.json or the .zip; folders are searched for conversations*.json and export zips)."),
    db: Optional[Path] = db_option(),
    full_refresh: Optional[bool] = typer.Option(None, "--full-refresh", help="Read every transcript again (replacing its lines) and rebuild every mart from the raw layer."),
    quiet: Optional[bool] = typer.Option(None, "--quiet", "-q", help="No progress bar and no summary."),
    as_json: Optional[bool] = json_option("the summary"),
    wait: Optional[bool] = wait_option(),
    example: Optional[bool] = typer.Option(None, "--example", help="Import a small generated example tree instead, into a warehouse of its own (~/.local/share/chatlake/example.duckdb unless --db is given)."),
    source_kind: Optional[str] = typer.Option(None, "--source-kind", help="Kind of the export files: auto (detect from content, the default), chatgpt or claude_ai."),
    no_codex: Optional[bool] = typer.Option(None, "--no-codex", help="Do not read Codex CLI's default folders ($CODEX_HOME, else ~/.codex); the config file's skip_sources does it for good."),
    no_gemini: Optional[bool] = typer.Option(None, "--no-gemini", help="Do not read Gemini CLI's default folder (~/.gemini/tmp, under $GEMINI_CLI_HOME when set)."),
) -> None:
    """Land new transcript lines in DuckDB and rebuild the marts incrementally with dbt."""
    for root in roots or []:  # a ROOT typed by hand that is not there is a usage error
        if not root.exists():
            fail(f"{root}: no such file or directory", EXIT_USAGE)
    try:
        from chatlake.transform.project import upgrade_notice

        notice = upgrade_notice()
    except ChatlakeError as exc:
        fail(exc)
    if notice and not as_json:
        note(notice)
    try:
        with _ProgressBar(enabled=not (quiet or as_json)) as bar:
            summary = import_transcripts(roots or None, db, full_refresh=bool(full_refresh), on_progress=bar,
                                         wait=wait, source_kind=source_kind, on_phase=bar.phase,
                                         example=bool(example), on_step=bar.phase,
                                         skip_sources={name for name, off in (("codex", no_codex), ("gemini_cli", no_gemini))
                                                       if off})
    except ImportInterrupted as exc:
        err.print(f"interrupted: {exc}", highlight=False, markup=False)
        raise typer.Exit(EXIT_INTERRUPTED)
    except ChatlakeError as exc:
        fail(exc)
    except KeyboardInterrupt:
        err.print("interrupted: nothing from this run was committed; run the same command again to finish")
        raise typer.Exit(EXIT_INTERRUPTED)
    show_summary(summary, as_json, quiet, print_summary, _print_problems)
    raise typer.Exit(0 if summary.ok else 1)
