"""`chatlake report`: the whole warehouse on one self-contained HTML page (charts, tables, retention)."""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from chatlake.core.settings import data_dir, resolve_db
from chatlake.core.db import connect
from chatlake.core.errors import ChatlakeError
from chatlake.report.filters import BadReportOption, ReportFilters, make_filters

__all__ = ["BadReportOption", "ReportFilters", "ReportResult", "default_output", "make_filters", "write_report"]


@dataclass
class ReportResult:
    path: Path
    bytes: int
    seconds: float
    prompts: int
    sessions: int
    projects: list[str]


def default_output() -> Path:
    return data_dir() / "report.html"


def claude_dir() -> Path:
    """Where Claude Code keeps settings.json: the first config folder of the import's default roots."""
    from chatlake.core.settings import claude_code_roots

    dirs = [root.parent for root in claude_code_roots()]
    return next((d for d in dirs if (d / "settings.json").is_file()), dirs[0])


def write_report(output: str | os.PathLike | None = None, *, db: str | os.PathLike | None = None,
                 filters: ReportFilters | None = None, cache_dir: Path | None = None, wait: float = 0.0,
                 redact: bool = False) -> ReportResult:
    """Write the report of the warehouse `db` over what `filters` keep to `output` (default:
    report.html in the data directory); the file is replaced whole, never left half-written."""
    from chatlake.report import data as report_data
    from chatlake.report import page

    started = time.monotonic()
    filters = filters or ReportFilters()
    con = connect(resolve_db(db), read_only=True, wait=wait)
    try:
        figures = report_data.gather(con, filters, claude_dir())
        if figures.has_usage:
            figures.blocks = report_data.blocks(con, filters)
    finally:
        con.close()
    if redact:
        _redact(figures)
    html = page.render(figures, page.vega_bundle(cache_dir or data_dir() / "cache"))
    path = Path(output).expanduser() if output else default_output()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(html)
        os.replace(tmp, path)
    except OSError as exc:
        raise ChatlakeError(f"cannot write {path}: {exc.strerror or exc}") from None
    return ReportResult(path.resolve(), len(html.encode()), time.monotonic() - started,
                        figures.totals.get("prompts", 0), figures.totals.get("sessions", 0), figures.projects)


def _redact(figures) -> None:
    """Secrets out of the only free text the page holds: session titles."""
    from dataclasses import replace

    from chatlake.core.redact import redact

    for rows in (figures.expensive_sessions, figures.longest_sessions):
        for row in rows:
            if row.get("title"):
                row["title"] = redact(row["title"]).text
    figures.deleted = [replace(h, title=redact(h.title).text if h.title else h.title) for h in figures.deleted]
    figures.expiring = [replace(h, title=redact(h.title).text if h.title else h.title) for h in figures.expiring]
