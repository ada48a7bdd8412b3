"""`chatlake search`: hybrid, semantic or word search over the messages."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from chatlake.cli.common import EXIT_USAGE, db_option, fail, note, out, write_json
from chatlake.cli.options_source import source_option
from chatlake.core.errors import ChatlakeError
from chatlake.core.kinds import MESSAGE_KINDS


def _hit_rank(hit, mode: str) -> str:
    """The labelled number a hit is ordered by: hybrid's fused score, else similarity, else words matched."""
    if mode == "hybrid" and hit.score is not None:
        return f"score {hit.score:.4f}"  # the similarity would read out of order: it is in --json
    if hit.similarity is not None:
        return f"sim {hit.similarity:.3f}"
    if hit.matched_terms is not None:
        return f"{hit.matched_terms} term{'s' if hit.matched_terms != 1 else ''}"
    return "-"


def show_command(session_id: str, db: Path | None) -> str:
    """The command that opens a hit's conversation (with the same --db, when one was given)."""
    return f"chatlake show {session_id}" + (f" --db {db}" if db else "")


def _print_hit(hit, mode: str, indent: str = "", opener: str | None = None) -> None:
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
    if opener:
        out.print(f"{indent}  [dim]{escape(opener)}[/]", highlight=False)


def search_command(
    query: str = typer.Argument(..., help="What to look for: words, an error message, a file name, a paraphrase."),
    k: Optional[int] = typer.Option(None, "--k", "-k", min=1, help="How many messages (with --session: sessions) to show (default: 10)."),
    text: Optional[bool] = typer.Option(None, "--text", help="Search words in the warehouse (offline, no API key)."),
    semantic: Optional[bool] = typer.Option(None, "--semantic", help="Rank by vectors alone (default: hybrid of words and vectors)."),
    session: Optional[bool] = typer.Option(None, "--session", help="Group hits by session."),
    project: Optional[str] = typer.Option(None, "--project", help="Only this project (its path, or its folder name)."),
    since: Optional[str] = typer.Option(None, "--since", help="Only messages from this date (YYYY-MM-DD) on."),
    until: Optional[str] = typer.Option(None, "--until", help="Only messages up to this date (inclusive)."),
    kind: Optional[list[str]] = typer.Option(None, "--kind", help=f"Only these kinds: {', '.join(MESSAGE_KINDS)}."),
    source: Optional[list[str]] = source_option(),
    as_json: Optional[bool] = typer.Option(None, "--json", help="Print hits as JSON."),
    db: Optional[Path] = db_option(),
    target: Optional[str] = typer.Option(None, "--target", help="Vector store, as for `chatlake embed` (default: $SUPABASE_DB_URL, else Supabase REST, else the local Postgres)."),
    model: Optional[str] = typer.Option(None, "--model", help="Embedding model (default: the one the stored vectors were made with)."),
    dimensions: Optional[int] = typer.Option(None, "--dimensions", help="Size of the vectors, if not the model's own."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible server (default: $OPENAI_BASE_URL)."),
    all_warehouses: Optional[bool] = typer.Option(None, "--all-warehouses", help="Search every warehouse that embedded into the target (default: only this one)."),
) -> None:
    """Find messages by meaning and words (hybrid), by meaning alone (--semantic) or by words offline (--text).

    Each hit leads with what it is ranked by: `score` (hybrid: word and vector ranks fused), `sim` (--semantic: cosine similarity) or the words matched (--text); --json gives both numbers.
    """
    from chatlake.search import search

    if text and semantic:
        fail("choose one of --text and --semantic", EXIT_USAGE)
    try:
        result = search(query, db=db, mode="text" if text else "semantic" if semantic else "hybrid", k=k or 10,
                        project=project, since=since, until=until, kinds=kind, sources=source,
                        by_session=bool(session),
                        target=target, model=model, dimensions=dimensions, base_url=base_url,
                        all_warehouses=bool(all_warehouses))
    except ChatlakeError as exc:
        fail(exc)  # a bad --since, --until, --kind or --source is a usage error (exit 2)
    if as_json:
        data = result.to_dict()
        for hit in data.get("hits") or [h for s in data.get("sessions", []) for h in s["hits"]]:
            hit["show_command"] = show_command(hit["session_id"], db)
        for group in data.get("sessions", []):
            group["show_command"] = show_command(group["session_id"], db)
        write_json(data)
        return
    if result.note:
        note(result.note)
    if not result.hits:
        out.print("no matches", highlight=False)
        raise typer.Exit(0)
    if session:
        for sid, hits in result.sessions():
            title, room = hits[0].title or sid, max(out.size.width - len(sid) - 2, 20)
            title = title if len(title) <= room else title[:room - 1] + "…"  # with its id, one line
            out.print(f"[bold cyan]{escape(title)}[/]  [dim]{sid}[/]", highlight=False)
            out.print(f"  [dim]{escape(show_command(sid, db))}[/]", highlight=False)
            for hit in hits:
                _print_hit(hit, result.mode, indent="  ")
        return
    for hit in result.hits:
        _print_hit(hit, result.mode, opener=show_command(hit.session_id, db))


