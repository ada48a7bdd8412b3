"""Which session a `chatlake show` argument names: a full id, a unique prefix, or the latest one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chatlake.core.errors import UsageError

# Candidates listed for an ambiguous prefix, newest first.
MAX_CANDIDATES = 10


class SessionNotFound(UsageError):
    """No session has that id or prefix (or none matches --project): a usage error."""


class AmbiguousSession(UsageError):
    """A prefix that several sessions start with; the candidates are listed, newest first."""

    def __init__(self, prefix: str, candidates: list["Candidate"], more: int = 0) -> None:
        self.prefix, self.candidates, self.more = prefix, candidates, more
        super().__init__(f"{prefix!r} starts {len(candidates) + more} sessions; give more of the id")


@dataclass(frozen=True)
class Candidate:
    session_id: str
    title: str | None
    project_path: str | None
    last_at: datetime | None
    source: str


def pick(ref: str, candidates: list[Candidate]) -> Candidate:
    """The one session `ref` names among those whose id starts with it (an exact id always wins)."""
    exact = [c for c in candidates if c.session_id == ref]
    if exact:
        return exact[0]
    if not candidates:
        raise SessionNotFound(f"no session id starts with {ref!r} (`chatlake show --last` opens the latest)")
    if len(candidates) > 1:
        ordered = sorted(candidates, key=lambda c: (c.last_at is None, -(c.last_at.timestamp() if c.last_at else 0)))
        raise AmbiguousSession(ref, ordered[:MAX_CANDIDATES], max(0, len(ordered) - MAX_CANDIDATES))
    return candidates[0]


_COLUMNS = "session_id, title, project_path, last_at, source"
# --project as `chatlake search` reads it: the whole path, or its last folders.
_PROJECT_MATCH = "(?::varchar is null or project_path = ? or ends_with(project_path, '/' || ?))"
_SOURCE_MATCH = "(?::varchar[] is null or list_contains(?, source))"


def _scope(project: str | None, sources: tuple[str, ...] | None) -> list:
    """The parameters of _PROJECT_MATCH and _SOURCE_MATCH, in that order."""
    chosen = list(sources) if sources else None
    return [project, project, project, chosen, chosen]


def _where(project: str | None, sources: tuple[str, ...] | None) -> str:
    """The filters in words, for a message that found nothing."""
    parts = ([f"in project {project!r}"] if project else []) + ([f"from {', '.join(sources)}"] if sources else [])
    return "".join(" " + part for part in parts)


def resolve(con, ref: str | None, *, last: bool = False, project: str | None = None,
            sources: tuple[str, ...] | None = None) -> Candidate:
    """The session `ref` names, or with `last` the most recent (of `project` and `sources`, when given)."""
    project = project.rstrip("/") if project else None
    if last:
        if ref:
            raise SessionNotFound("give a SESSION or --last, not both")
        row = con.execute(
            f"select {_COLUMNS} from main.sessions where {_PROJECT_MATCH} and {_SOURCE_MATCH}"
            " order by last_at desc nulls last, session_id limit 1", _scope(project, sources)).fetchone()
        if row is None:
            raise SessionNotFound(f"no session{_where(project, sources)} in the warehouse yet")
        return Candidate(*row)
    if not ref or not ref.strip():
        raise SessionNotFound("give a SESSION (an id or its first characters) or --last")
    ref = ref.strip()
    rows = con.execute(
        f"select {_COLUMNS} from main.sessions where starts_with(session_id, ?) and {_PROJECT_MATCH}"
        f" and {_SOURCE_MATCH}", [ref, *_scope(project, sources)]).fetchall()
    return pick(ref, [Candidate(*row) for row in rows])
