"""What a report covers (--since, --until, --project, --source), checked once, and how SQL reads it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from chatlake.core.errors import UsageError
from chatlake.core.kinds import CLAUDE_CODE
from chatlake.core.sources import parse_sources


class BadReportOption(UsageError):
    """A filter's value cannot be used: a usage error (exit 2)."""


@dataclass(frozen=True)
class ReportFilters:
    since: date | None = None
    until: date | None = None
    project: str | None = None
    sources: tuple[str, ...] | None = None

    def params(self) -> dict:
        return {"since": self.since, "until": self.until, "project": self.project,
                "sources": list(self.sources) if self.sources else None}

    @property
    def keeps_claude_code(self) -> bool:
        return self.sources is None or CLAUDE_CODE in self.sources

    def describe(self) -> str:
        """The filters in words, for the page's subtitle (empty: everything)."""
        parts = []
        if self.since or self.until:
            parts.append(f"{self.since or '…'} to {self.until or 'today'}")
        if self.project:
            parts.append(f"project {self.project}")
        if self.sources:
            parts.append(f"source{'s' if len(self.sources) > 1 else ''} {', '.join(self.sources)}")
        return ", ".join(parts)


def _day(value: str | None, flag: str) -> date | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadReportOption(f"invalid value for {flag} {value!r}: expected YYYY-MM-DD") from None


def make_filters(since: str | None = None, until: str | None = None, project: str | None = None,
                 source: str | list[str] | None = None) -> ReportFilters:
    """ReportFilters from flag values as typed; a bad date, an unknown source or an empty range is BadReportOption."""
    start, end = _day(since, "--since"), _day(until, "--until")
    if start and end and start > end:
        raise BadReportOption(f"--since {since} is after --until {until}: the report would be empty")
    return ReportFilters(start, end, project.rstrip("/") if project else None, parse_sources(source))


def where(time_column: str, project_column: str = "project_path", source_column: str = "source") -> str:
    """The SQL condition of the filters on one table (named parameters $since, $until, $project, $sources).
    Days are local days; --project is a path or its last folders, as `chatlake search` reads it."""
    return (f"($since is null or {time_column}::date >= $since)"
            f" and ($until is null or {time_column}::date <= $until)"
            f" and ($project is null or {project_column} = $project or ends_with({project_column}, '/' || $project))"
            f" and ($sources is null or list_contains($sources, {source_column}))")
