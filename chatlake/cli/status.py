"""`chatlake status`: what the warehouse holds and what is left to embed."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from chatlake.cli.common import db_option, fail, out, plural, wait_option, write_json
from chatlake.core.errors import ChatlakeError


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
    db: Optional[Path] = db_option(),
    as_json: Optional[bool] = typer.Option(None, "--json", help="Print the status as JSON."),
    wait: Optional[bool] = wait_option(),
) -> None:
    """What the warehouse holds, the last import, and what is left to embed (with cost and time)."""
    from chatlake.status import warehouse_status

    try:
        s = warehouse_status(db, wait=wait)
    except ChatlakeError as exc:
        fail(exc)
    if as_json:
        write_json(s.to_dict())
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
        p(f"  {plural(li['lines_landed'], 'line')} landed,"
          f" {li['lines_rejected']:,} rejected")
    p(f"rejected lines: {s.rejected_lines:,}")
    if s.export_files or s.rejected_conversations:
        p(f"exports: {plural(s.export_files, 'file')}, {plural(s.conversations, 'conversation')}")
        p(f"rejected conversations: {s.rejected_conversations:,}")
    if not s.embeddings:
        p("embeddings: none yet (run `chatlake embed`)")
    for m in s.embeddings:
        cost = f"${m.remaining_cost:,.4f}" if m.remaining_cost is not None else "unknown price"
        p(f"embeddings {m.model} ({m.dimensions}d) in {m.target}: {m.embedded:,} hashes embedded,"
          f" {m.failed:,} refused, {m.remaining:,} remaining (~{m.remaining_tokens:,} tokens, {cost},"
          f" {_duration(m.remaining_seconds)})")
