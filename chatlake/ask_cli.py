"""`chatlake search`, `chatlake sql` and `chatlake status`: thin typer commands over search, sqlcmd and status.

Registered in chatlake/cli.py.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from typer.core import TyperCommand
from rich.markup import escape

from chatlake.errors import BadDatabasePath, ChatlakeError

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

DB_HELP = "Warehouse file (default: $CHATLAKE_DB, else ~/.local/share/chatlake/chatlake.duckdb)."


def _fail(message: str | ChatlakeError, code: int = 1) -> None:
    if isinstance(message, BadDatabasePath):
        code = 2  # a --db that cannot be a file is a usage error
    err.print(f"[bold red]error:[/] {escape(str(message))}", highlight=False)
    raise typer.Exit(code)


def _write_json(data) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def _hit_rank(hit, mode: str) -> str:
    """The labelled number a hit is ordered by: hybrid's fused score, else similarity, else words matched."""
    if mode == "hybrid" and hit.score is not None:
        return f"score {hit.score:.4f}"  # the similarity would read out of order: it is in --json
    if hit.similarity is not None:
        return f"sim {hit.similarity:.3f}"
    if hit.matched_terms is not None:
        return f"{hit.matched_terms} term{'s' if hit.matched_terms != 1 else ''}"
    return "-"


def _print_hit(hit, mode: str, indent: str = "") -> None:
    score = _hit_rank(hit, mode)
    when = hit.created_at.strftime("%Y-%m-%d %H:%M") if hit.created_at else "?"
    where = " ".join(p for p in (Path(hit.project_path).name if hit.project_path else "",
                                 f"[{hit.git_branch}]" if hit.git_branch else "") if p)
    kind = f"{hit.kind} · {hit.source}" if hit.source else hit.kind
    out.print(f"{indent}[bold]{score}[/]  {when}  {escape(where)}  [dim]{escape(kind)}[/]", highlight=False)
    # at the terminal's width: a title cut to one line, the snippet wrapped between words
    width = max(out.size.width - len(indent) - 2, 20)
    if hit.title and not indent:
        title = hit.title if len(hit.title) <= width else hit.title[:width - 1] + "…"
        out.print(f"{indent}  [italic]{escape(title)}[/]", highlight=False)
    for line in textwrap.wrap(hit.snippet, width) or [""]:
        out.print(f"{indent}  {escape(line)}", highlight=False)
    if not indent:  # grouped hits have their session's id and command above them
        out.print(f"  [dim]session {hit.session_id} · chatlake show {hit.session_id[:8]}[/]", highlight=False)


def search_command(
    query: str = typer.Argument(..., help="What to look for: words, an error message, a file name, a paraphrase."),
    k: int = typer.Option(10, "--k", "-k", min=1, help="How many messages (with --session: sessions) to show."),
    text: bool = typer.Option(False, "--text", help="Search words in the warehouse (offline, no API key)."),
    semantic: bool = typer.Option(False, "--semantic", help="Rank by vectors alone (default: hybrid of words and vectors)."),
    session: bool = typer.Option(False, "--session", help="Group hits by session."),
    project: Optional[str] = typer.Option(None, "--project", help="Only this project (its path, or its folder name)."),
    since: Optional[str] = typer.Option(None, "--since", help="Only messages from this date (YYYY-MM-DD) on."),
    until: Optional[str] = typer.Option(None, "--until", help="Only messages up to this date (inclusive)."),
    kind: Optional[list[str]] = typer.Option(None, "--kind", help="Only these kinds: prompt, command, bash, memory."),
    as_json: bool = typer.Option(False, "--json", help="Print hits as JSON."),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    target: Optional[str] = typer.Option(None, "--target", help="Vector store, as for `chatlake embed` (default: $SUPABASE_DB_URL, else Supabase REST, else the local Postgres)."),
    model: Optional[str] = typer.Option(None, "--model", help="Embedding model (default: the one the stored vectors were made with)."),
    dimensions: Optional[int] = typer.Option(None, "--dimensions", help="Size of the vectors, if not the model's own."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible server (default: $OPENAI_BASE_URL)."),
    all_warehouses: bool = typer.Option(False, "--all-warehouses", help="Search every warehouse that embedded into the target (default: only this one)."),
) -> None:
    """Find messages by meaning and words (hybrid), by meaning alone (--semantic) or by words offline (--text).

    Each hit leads with what it is ranked by: `score` (hybrid: word and vector ranks fused), `sim` (--semantic: cosine similarity) or the words matched (--text); --json gives both numbers.
    """
    from chatlake.search import SearchUsageError, make_filters, search

    if text and semantic:
        _fail("choose one of --text and --semantic", 2)
    try:
        filters = make_filters(project, since, until, kind)
    except ChatlakeError as exc:
        _fail(exc, 2)  # a bad --since, --until or --kind is a usage error, like a bad --source-kind
    try:
        fetch = k * 5 if session else k
        result = search(query, db=db, mode="text" if text else "semantic" if semantic else "hybrid", k=fetch,
                        filters=filters, target=target, model=model, dimensions=dimensions, base_url=base_url,
                        all_warehouses=all_warehouses)
    except SearchUsageError as exc:
        _fail(exc, 2)
    except ChatlakeError as exc:
        _fail(exc)
    groups = result.sessions()[:k] if session else None
    if session:
        result.hits = [h for _, hits in groups for h in hits]
    if as_json:
        _write_json(result.to_dict(by_session=session))
        return
    if result.note:
        err.print(f"[yellow]note:[/] {escape(result.note)}", highlight=False)
    if not result.hits:
        out.print("no matches", highlight=False)
        raise typer.Exit(0)
    if session:
        for sid, hits in groups:
            title, room = hits[0].title or sid, max(out.size.width - len(sid) - 2, 20)
            title = title if len(title) <= room else title[:room - 1] + "…"  # with its id, one line
            out.print(f"[bold cyan]{escape(title)}[/]  [dim]{sid}[/]", highlight=False)
            out.print(f"  [dim]open it: chatlake show {sid[:8]}[/]", highlight=False)
            for hit in hits:
                _print_hit(hit, result.mode, indent="  ")
        return
    for hit in result.hits:
        _print_hit(hit, result.mode)


def _show(result, fmt: str, wide: bool = False) -> None:
    from chatlake import sqlcmd

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
    os.environ.setdefault("LESS", "FRX")
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


def sql_command(
    query: Optional[str] = typer.Argument(None, help="A query (without one: an interactive prompt with history)."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, csv, json or markdown."),
    analysis: Optional[str] = typer.Option(None, "--analysis", "-a", help="Run analyses/NAME.sql (--list shows them)."),
    list_: bool = typer.Option(False, "--list", help="List the ready-made analyses."),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    wait: bool = typer.Option(False, "--wait", help="Wait for an import holding the warehouse instead of exiting."),
    allow_files: bool = typer.Option(False, "--allow-files", help="Let the query read and write files outside the warehouse (COPY ... TO, read_csv, ATTACH, extensions); off by default."),
    wide: bool = typer.Option(False, "--wide", help="In a terminal, show cells whole instead of cutting them to fit the screen."),
) -> None:
    """Query the warehouse (read-only): main.human_messages, main.sessions, raw.* and embed.*."""
    from chatlake import sqlcmd
    from chatlake.config import resolve_db

    if fmt not in sqlcmd.FORMATS:
        _fail(f"--format must be one of {', '.join(sqlcmd.FORMATS)}", 2)
    if list_:
        names = sqlcmd.list_analyses()
        width = max(map(len, names), default=0)
        for name in names:
            out.print(f"{name:<{width}}  {escape(sqlcmd.analysis_description(name))}".rstrip(), highlight=False)
        return
    if query and analysis:
        _fail("pass a QUERY or --analysis, not both", 2)
    path = resolve_db(db)
    show = lambda result, fmt: _show(result, fmt, wide)  # noqa: E731
    try:
        if analysis:
            query = sqlcmd.analysis_sql(analysis)
        if query is None:
            if not sys.stdin.isatty():
                query = sys.stdin.read()
            else:
                sqlcmd.run_query(path, "select 1", wait=3600.0 if wait else 0.0)  # fail early: missing or locked
                sqlcmd.repl(path, fmt, show, allow_files=allow_files)
                return
        show(sqlcmd.run_query(path, query, wait=3600.0 if wait else 0.0, allow_files=allow_files), fmt)
    except sqlcmd.EmptyQuery as exc:
        _fail(exc, 2)
    except ChatlakeError as exc:
        _fail(exc)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown (no timed run yet)"
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def status_command(
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the status as JSON."),
    wait: bool = typer.Option(False, "--wait", help="Wait for an import holding the warehouse instead of exiting."),
) -> None:
    """What the warehouse holds, the last import, and what is left to embed (with cost and time)."""
    from chatlake.status import warehouse_status

    try:
        s = warehouse_status(db, wait=3600.0 if wait else 0.0)
    except ChatlakeError as exc:
        _fail(exc)
    if as_json:
        _write_json(s.to_dict())
        return
    p = lambda text: out.print(text, highlight=False)  # noqa: E731
    p(f"warehouse: {s.db}")
    p(f"files: {s.files_seen:,} seen, {_size(s.files_bytes)}")
    p(f"sessions: {s.sessions:,}")
    kinds = ", ".join(f"{n:,} {k}" for k, n in s.by_kind.items())
    p(f"human messages: {s.human_messages:,}" + (f" ({kinds})" if kinds else ""))
    if s.first_activity:
        p(f"activity: {s.first_activity:%Y-%m-%d %H:%M} to {s.last_activity:%Y-%m-%d %H:%M}")
    if s.last_import:
        li = s.last_import
        took = f" in {li['seconds']:.1f}s" if li.get("seconds") is not None else ""
        # two lines: one would wrap at 80 columns
        p(f"last import: {li['started_at']:%Y-%m-%d %H:%M}{took}: {li['files_new']:,} new and"
          f" {li['files_appended']:,} appended files,")
        p(f"  {li['lines_landed']:,} {'line' if li['lines_landed'] == 1 else 'lines'} landed,"
          f" {li['lines_rejected']:,} rejected")
    p(f"rejected lines: {s.rejected_lines:,}")
    if s.export_files or s.rejected_conversations:
        p(f"exports: {s.export_files:,} {'file' if s.export_files == 1 else 'files'},"
          f" {s.conversations:,} {'conversation' if s.conversations == 1 else 'conversations'}")
        p(f"rejected conversations: {s.rejected_conversations:,}")
    if not s.embeddings:
        p("embeddings: none yet (run `chatlake embed`)")
    for m in s.embeddings:
        cost = f"${m.remaining_cost:,.4f}" if m.remaining_cost is not None else "unknown price"
        p(f"embeddings {m.model} ({m.dimensions}d) in {m.target}: {m.embedded:,} hashes embedded,"
          f" {m.failed:,} refused, {m.remaining:,} remaining (~{m.remaining_tokens:,} tokens, {cost},"
          f" {_duration(m.remaining_seconds)})")
