"""The Python API: what the CLI, scripts and tests call."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from chatlake.transform.dbt import BuildResult, build_selectors, has_parse, preload_dbt, project_fingerprint, run_dbt
from chatlake.transform.child import DbtChild
from chatlake.transform.state import agents_absent, built_fingerprint, marts_behind, record_project_build, untouched_tools
from chatlake.core.settings import resolve
from chatlake.core.db import connect, table_exists, warehouse_lock
from chatlake.core.errors import ChatlakeError, ImportInterrupted, UsageError
from chatlake.extract.discover import walk_roots
from chatlake.extract import unchanged
from chatlake.extract.loads import LoadCounts, finish_load

if TYPE_CHECKING:
    from chatlake.extract.land import ProgressFn

# the incremental marts: a missing one, or one behind the latest load, sends an import to dbt
# (the first import after an upgrade that adds one builds it from the lines already landed)
MARTS = ("human_messages", "sessions", "assistant_responses", "tool_calls")
# rejection reasons a summary quotes; the rest are counted (all are in raw.rejected_conversations)
REJECTIONS_SHOWN = 5


@dataclass
class ImportSummary(LoadCounts):
    """What one `chatlake import` did: its load's counts, the exports', and the build's."""

    db: str = ""
    roots: list[str] = field(default_factory=list)
    # of those, the ones in the `sessions` mart (a session without a human message is not)
    sessions_in_marts: int = 0
    export_files_seen: int = 0
    conversations_landed: int = 0
    conversations_unchanged: int = 0
    conversations_rejected: int = 0
    # "<file> #<position>: <reason>" for the first REJECTIONS_SHOWN conversations this run rejected
    rejections: list[str] = field(default_factory=list)
    human_messages_added: int = 0
    human_messages_total: int = 0
    built: bool = False
    # what dbt built: "project" (everything, as plain `dbt build`), or "increment" (the
    # incremental models and the marts' contract tests, when the project is the one last built in full)
    build_scope: str | None = None
    build_ok: bool = True
    failures: list[str] = field(default_factory=list)
    test_failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        # a rejected conversation is a prompt that is not in the warehouse: the run did not do its job
        return self.files_failed == 0 and self.conversations_rejected == 0 and self.build_ok

    def to_dict(self) -> dict:
        data = asdict(self)
        # the warehouse and the roots first, as a reader of the JSON looks for them
        return {"db": data.pop("db"), "roots": data.pop("roots"), **data, "ok": self.ok}


class NoTranscripts(ChatlakeError):
    """No root was given and none of the default ones exists."""


def _count_messages(con) -> int:
    if not table_exists(con, "main", "human_messages"):
        return 0
    return con.execute("select count(*) from main.human_messages").fetchone()[0]


def _build(db_path: Path, full_refresh: bool, built_with: str | None,
           child: DbtChild | None = None, wait: float = 0.0,
           on_phase: Callable[[str], None] | None = None, untouched: frozenset[str] = frozenset(),
           absent: frozenset[str] = frozenset()) -> tuple[BuildResult, str | None]:
    """`dbt build` after a load; returns the result, and the project's fingerprint when all of it was built.

    A warehouse whose views and seed were built from this very project only needs its incremental
    models and the marts' contract tests (the `import_increment` selector): dbt's per-node cost is
    most of an append's time. It leaves out as well the models of the tools `untouched`
    (transform/state.py's untouched_tools). The models of the agent CLIs `absent` (no line of
    theirs in the warehouse) are left out of every build. Anything else, or a failed partial
    build, builds the whole project. The first build runs in `child` when there is one (dbt
    imported there during the load).
    """
    def build(**options) -> BuildResult:
        options.update(wait=wait, on_phase=on_phase)
        return child.build(db_path, **options) if child else run_dbt(db_path, "build", **options)

    whole, increment = build_selectors(absent, untouched)
    # the agent CLIs left out are part of what was built: once one has lines, the whole project is built again
    fingerprint = project_fingerprint() + "".join(f" without {name}" for name in sorted(absent))
    if not full_refresh and built_with == fingerprint:
        result = build(selector=increment)
        if result.ok:
            return result, None
    return build(full_refresh=full_refresh, selector=whole), fingerprint


def import_transcripts(
    roots: list[Path] | None = None,
    db: Path | str | None = None,
    full_refresh: bool = False,
    on_progress: ProgressFn | None = None,
    wait: float | None = None,
    source_kind: str | None = None,
    on_phase: Callable[[str], None] | None = None,
    example: bool = False,
    on_step: Callable[[str], None] | None = None,
    skip_sources: frozenset[str] | set[str] | None = None,
) -> ImportSummary:
    """Land new transcript lines and export conversations, then `dbt build` the marts when anything changed.

    Roots are folders of transcripts, or ChatGPT / Claude.ai export files (`conversations.json` or
    the `.zip`), detected from their content unless `source_kind` (`chatgpt`, `claude_ai`) forces it.
    `on_phase` hears each phase as it starts: "landing", then "building the marts" when dbt runs;
    `on_step` hears the build move between "testing the marts" and "building the marts" as dbt
    goes from models to their tests and back.
    `example` imports a small generated tree into a warehouse of its own (unless `db` names one).
    Raises UsageError for an unknown source kind, before anything is opened.
    Without roots, Codex CLI's and Gemini CLI's default folders are read beside Claude Code's,
    except those of the tools in `skip_sources` (`codex`, `gemini_cli`; the config file's `skip_sources` too).
    """
    started = time.monotonic()
    settings = resolve(db=db, wait=wait, source_kind=source_kind, skip_sources=skip_sources)
    if settings.source_kind is not None:
        from chatlake.extract.exports.land import parse_kind

        parse_kind(settings.source_kind)
    source_kind = settings.source_kind
    if example:
        from chatlake.example import example_tree

        if roots:
            raise UsageError("--example takes no ROOT")
        roots = [example_tree(settings.data_dir)]
        settings = settings if db else replace(settings, db=settings.example_db)
    db_path, wait = settings.db, settings.wait
    if roots:
        roots = [Path(r).expanduser() for r in roots]
    else:
        roots = list(settings.roots)
        if not any(r.exists() for r in roots):
            raise NoTranscripts(f"{roots[0]} does not exist: pass the folders or exports to import,"
                                " or try `chatlake import --example`")
    # dbt's import (2.5 s) outlasts the walk that tells whether anything changed: for a warehouse
    # built before (it has a saved parse), the child starts before the walk and is killed if
    # nothing did (a no-op pays the fork and the kill, a few ms); an append gets its build sooner.
    early = None if full_refresh or not has_parse(db_path) else DbtChild.start()
    try:
        verdict = unchanged.Verdict() if full_refresh else unchanged.check(db_path, roots, source_kind)
    except BaseException:
        if early is not None:
            early.close()
        raise
    same = verdict.same
    if same is not None:
        if early is not None:
            early.close()
        if on_progress:
            on_progress(len(same.stats), len(same.stats), 0, "")
        return ImportSummary(db=str(db_path), roots=[str(r) for r in roots], files_seen=len(same.stats), files_unchanged=len(same.stats),
                             human_messages_total=same.human_messages_total,
                             seconds=time.monotonic() - started)
    unchanged.forget(db_path)
    # A transcript grew since the last import, or there is no record of one (a new warehouse): a
    # load and a build are likely coming, so dbt's import starts now, in a child process where
    # possible (else on a thread once lines are to land). The child also parses the project for
    # a warehouse with no saved parse. With nothing to build it is killed, having only imported.
    likely = verdict.grown or verdict.walk is None
    child = early or (DbtChild.start(db_path) if likely else None)
    if verdict.grown and child is None:
        preload_dbt()
    done = _Committed()
    try:
        # held from the landing through the build: a waiting import waits for this whole run
        with warehouse_lock(db_path, wait):
            return _import(db_path, roots, full_refresh, on_progress, wait, source_kind, verdict, child, started,
                           done, on_phase or (lambda name: None), on_step)
    except KeyboardInterrupt:
        raise ImportInterrupted(f"{done.what}; run the same command again to finish") from None
    finally:
        if child is not None:
            child.close()


@dataclass
class _Committed:
    """What of this run is in the warehouse so far, for the message after a Ctrl+C."""

    what: str = "nothing from this run was committed"


def _disk_error(stage: str, exc: Exception, kept: str) -> ChatlakeError:
    return ChatlakeError(f"{stage} failed ({kept}): {' '.join(str(exc).split())[:300]}")


def _import(db_path: Path, roots: list[Path], full_refresh: bool, on_progress: ProgressFn | None, wait: float,
            source_kind: str | None, verdict: unchanged.Verdict, child: DbtChild | None,
            started: float, done: _Committed, on_phase: Callable[[str], None],
            on_step: Callable[[str], None] | None = None) -> ImportSummary:
    """The import after the walk: land, build when anything changed, record what was done."""
    import duckdb

    from chatlake.extract import extract

    walk = verdict.walk or walk_roots(roots)
    on_phase("landing")
    con = connect(db_path, wait=wait)
    try:
        before = _count_messages(con)
        # a load is followed by a build: dbt's imports overlap the reading
        try:
            result = extract(con, roots, on_progress, source_kind=source_kind, walk=walk,
                             on_load=None if child else preload_dbt, rescan=full_refresh)
        except duckdb.Error as exc:  # a full disk at the commit: the load was rolled back
            raise _disk_error("landing", exc, "nothing from this run was committed") from None
        if result.load_id is not None:
            lines = "1 line" if result.lines_landed == 1 else f"{result.lines_landed} lines"
            done.what = f"the load was committed ({lines}), the marts were not rebuilt yet"
        landed_something = bool(result.lines_landed or result.files_rewritten or result.exports.conversations_landed)
        # a run whose only input was rejected leaves dbt alone, even on a warehouse with no marts yet
        rejected_only = not landed_something and bool(result.lines_rejected or result.exports.conversations_rejected)
        needs_build = full_refresh or landed_something or (not rejected_only and marts_behind(con, MARTS))
        rejections = _rejections(con, result.load_id) if result.exports.conversations_rejected else []
        built_with = built_fingerprint(con) if needs_build else None
        untouched = untouched_tools(con) if needs_build else frozenset()
        absent = agents_absent(con) if needs_build else frozenset()
        landed = None if needs_build else _landed_stats(con)
    finally:
        con.close()
    summary = ImportSummary(
        db=str(db_path),
        roots=[str(r) for r in roots],
        **{**result.counts(), "files_failed": result.files_failed - len(set(walk.errors) & verdict.reported)},
        export_files_seen=result.exports.files_seen,
        conversations_landed=result.exports.conversations_landed,
        conversations_unchanged=result.exports.conversations_unchanged,
        conversations_rejected=result.exports.conversations_rejected,
        rejections=rejections,
        failures=[f"{f.path}: {f.error}" for f in result.failures if (f.path, f.error) not in verdict.reported],
    )
    whole_project = None
    if needs_build:
        on_phase("building the marts")
        build, whole_project = _build(db_path, full_refresh, built_with, child, wait, on_step, untouched, absent)
        if build.ok:
            done.what = "the load and the build were committed"
        summary.built = True
        summary.build_scope = "increment" if whole_project is None else "project"
        summary.build_ok = build.ok
        summary.test_failures = build.failures
    if summary.built:
        con = connect(db_path, wait=wait)
        try:
            summary.human_messages_total = _count_messages(con)
            if result.load_id is not None and table_exists(con, "main", "sessions"):
                # exports' conversations count too, so both figures are of the same sessions
                summary.sessions_touched, summary.sessions_in_marts = con.execute(
                    "select count(distinct session_id), count(distinct session_id) filter"
                    " (where session_id in (select session_id from main.sessions))"
                    " from raw.touched_sessions where load_id = ?", [result.load_id]).fetchone()
            # its own messages only: the warehouse lock keeps other imports out since `before`
            if whole_project is not None and summary.build_ok:
                record_project_build(con, whole_project)
            if result.load_id is not None:
                # the load's duration includes its dbt build
                finish_load(con, result.load_id)
            landed = _landed_stats(con)
        finally:
            con.close()
    else:
        summary.human_messages_total = before
    summary.human_messages_added = max(0, summary.human_messages_total - before)
    # Places the walk could not read do not keep the record away: they are reported now and
    # remembered, so the imports after this one stay quiet about them until they change.
    only_walk_failed = result.files_failed == len(walk.errors)
    if summary.build_ok and only_walk_failed and not summary.export_files_seen and landed is not None:
        # after the last connection closed: the record keeps the warehouse file's final size and mtime
        unchanged.remember(db_path, roots, source_kind, landed, summary.human_messages_total, walk.errors)
    summary.seconds = time.monotonic() - started
    return summary


def _rejections(con, load_id: int) -> list[str]:
    rows = con.execute(
        "select source_file, file_position, reason from raw.rejected_conversations where load_id = ?"
        " order by source_file, file_position limit ?", [load_id, REJECTIONS_SHOWN]).fetchall()
    return [f"{path} #{position}: {reason}" for path, position, reason in rows]


def _landed_stats(con) -> dict[str, tuple[int, int]]:
    """Each landed transcript's size and mtime, as the next import's plan will compare them."""
    if not table_exists(con, "raw", "files"):
        return {}
    agents = " union all select source_file, size, mtime_ns from raw.agent_files" \
        if table_exists(con, "raw", "agent_files") else ""
    return {path: (size, mtime) for path, size, mtime in
            con.execute("select source_file, size, mtime_ns from raw.files" + agents).fetchall()}
