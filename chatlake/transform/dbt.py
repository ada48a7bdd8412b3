"""Run the shipped dbt project in-process against one warehouse file."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from chatlake.core.settings import project_dir
from chatlake.core.errors import BuildFailed, DatabaseLocked
from chatlake.transform.one_transaction import one_transaction
from chatlake.transform.release import release_duckdb

# selectors.yml: the incremental models and the marts' contract tests, for an import into a warehouse
# whose views and seed were built from this very project.
INCREMENT_SELECTOR = "import_increment"


def build_selectors(absent: frozenset[str], untouched: frozenset[str] = frozenset()) -> tuple[str | None, str]:
    """selectors.yml's names for a warehouse with no line of the agent CLIs `absent`
    (transform/state.py's agents_absent): the whole project (None: every node), and the
    increment, which also leaves out the models of the tools `untouched` (no file of theirs
    changed since their models last ran)."""
    whole = None
    if absent:
        whole = "project_without_" + ("agents" if len(absent) > 1 else next(iter(absent)))
    out = absent | untouched
    parts = ["claude_code"] if "claude_code" in out else []
    agents = sorted(out - {"claude_code"})
    parts += ["agents"] if len(agents) > 1 else agents
    return whole, INCREMENT_SELECTOR + ("_without_" + "_and_".join(parts) if parts else "")


@dataclass
class BuildResult:
    ok: bool
    failures: list[str] = field(default_factory=list)
    nodes_run: int = 0


_preload: threading.Thread | None = None


def preload_dbt() -> None:
    """Import dbt on a daemon thread: about 2.5 s of imports that then overlap the extract,
    which spends most of its time in DuckDB and file reads. `run_dbt` waits for it through
    Python's import lock; an error here is left for `run_dbt` to meet and report. Once per process."""
    global _preload
    if _preload is not None:
        return

    def load() -> None:
        try:
            import dbt.cli.main  # noqa: F401
        except Exception:  # pragma: no cover - reported by run_dbt
            pass

    _preload = threading.Thread(target=load, name="chatlake-import-dbt", daemon=True)
    _preload.start()


def project_fingerprint(project: Path | None = None) -> str:
    """SHA-256 of the dbt project's files (paths and contents) and of the dbt versions in use."""
    import hashlib
    from importlib.metadata import version

    from chatlake.transform.project import hash_files

    project = project or project_dir()
    digest = hashlib.sha256()
    for package in ("dbt-core", "dbt-duckdb"):
        digest.update(f"{package}=={version(package)}\n".encode())
    hash_files(digest, project)
    return digest.hexdigest()


# What a build is doing, by the kind of node dbt starts: models and the seed, or tests.
BUILDING, TESTING = "building the marts", "testing the marts"


def phase_listener(on_phase: Callable[[str], None]) -> Callable:
    """A dbt callback that tells `on_phase` when the build moves between building and testing."""
    current = [BUILDING]

    def listen(event) -> None:
        if event.info.name != "NodeStart":
            return
        kind = getattr(getattr(event.data, "node_info", None), "resource_type", "")
        phase = TESTING if kind in ("test", "unit_test") else BUILDING
        if phase != current[0]:
            current[0] = phase
            try:
                on_phase(phase)
            except Exception:  # a display gone (the parent stopped reading): an exception in
                pass  # dbt's callback would lose the node, and dbt would wait for it forever
    return listen


# DuckDB's cap inside chatlake's builds (profiles.yml, transform/plugin.py): the import's target is
# a peak RSS under 2 GiB, Python and dbt included; figures in BENCHMARKS.md
BUILD_MEMORY_LIMIT = "1GB"


def build_memory_limit(db: Path) -> str:
    """BUILD_MEMORY_LIMIT, or DuckDB's own default (empty) for a warehouse holding a line over
    the landing's huge-line size: parsing a line of tens of MB in the models needs more than
    32 times the line (1.6 GB was too little for 50 MB), and the landing already checked that the
    machine has room for it. One look at the line offsets of the files over that size."""
    import duckdb

    from chatlake.extract.land import HUGE_LINE_BYTES

    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:  # no warehouse yet, or held: dbt meets it and reports it
        return BUILD_MEMORY_LIMIT
    try:
        # only a file that has landed more than a huge line's bytes can hold one
        largest = con.execute(
            "select max(coalesce(next_offset, landed_offset) - byte_offset) from ("
            " select l.byte_offset, f.landed_offset, lead(l.byte_offset) over"
            " (partition by l.source_file order by l.byte_offset) as next_offset"
            " from raw.lines l join (select source_file, landed_offset from raw.files where landed_offset > ?) f"
            " using (source_file))", [HUGE_LINE_BYTES]).fetchall()[0][0] or 0
    except duckdb.Error:  # before the first load
        largest = 0
    finally:
        con.close()
    return "" if largest > HUGE_LINE_BYTES else BUILD_MEMORY_LIMIT


def dbt_vars(db: Path, extract_in_dbt: bool = False, memory_limit: str = BUILD_MEMORY_LIMIT) -> str:
    """What chatlake tells its dbt project, all of it: the warehouse (profiles.yml), whether the
    extractor still has to run (models/load) and DuckDB's memory cap. dbt reads no environment
    variable of chatlake's."""
    import json

    return json.dumps({"chatlake_db": str(db), "chatlake_skip_extract": not extract_in_dbt,
                       "chatlake_build_memory_limit": memory_limit})


def dbt_work_dir(db: Path) -> Path:
    """dbt's target and log folders, beside the warehouse (the project may be read-only), one
    per warehouse: two warehouses in one folder (the `--example` one beside the real one) shared
    `.chatlake-dbt/`, so each build parsed the project again after the other's (dbt's saved parse
    holds the warehouse's path), and two imports at once wrote the same files."""
    return db.parent / f".{db.name}.dbt"


def build_vars(db: Path, extract_in_dbt: bool = False) -> str:
    """The vars of a build of `db` (its memory cap depends on the lines landed)."""
    return dbt_vars(db, extract_in_dbt, build_memory_limit(db))


def _common_args(command: str, db: Path, target: Path) -> list[str]:
    project = project_dir()
    return [
        command,
        "--project-dir", str(project),
        "--profiles-dir", str(project),
        "--target-path", str(target),
        "--log-path", str(dbt_work_dir(db) / "logs"),
        "--log-level", "none",
        "--log-level-file", "info",
        "--no-version-check",
        "--no-use-colors",
        # manifest.json and run_results.json: nothing reads them (results come back in-process,
        # partial parsing keeps its own file), and writing the manifest twice per invocation
        # cost an append about 0.5 s
        "--no-write-json",
    ]


PARSE_FILE = "partial_parse.msgpack"


def has_parse(db: Path) -> bool:
    """Whether dbt has a saved parse of the project for this warehouse (a new warehouse has none)."""
    return (dbt_work_dir(db) / "target" / PARSE_FILE).exists()


def parse_ahead(db: Path) -> bool:
    """`dbt parse` for the build of `db` to come, before the warehouse is ready for it.

    A warehouse with no saved parse (a new one) costs its first build dbt's full parse, about
    2.5 s. Parsed while the lines land (in the build's child process, on the core the extract
    leaves idle), that build reads the saved parse instead (0.3 s). The project does not touch
    the warehouse while parsing (it may be locked by the load). The parse is written beside the
    target and moved into it whole, so a parse cut short leaves nothing; vars the build turns out
    not to share (a warehouse with huge lines) only mean dbt parses again, as it would have.
    Returns whether the parse is in place."""
    import shutil
    import tempfile

    from dbt.cli.main import dbtRunner

    target = dbt_work_dir(db) / "target"
    target.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".parse-", dir=target.parent))
    try:
        args = _common_args("parse", db, scratch) + ["--vars", dbt_vars(db, False, BUILD_MEMORY_LIMIT)]
        res = dbtRunner().invoke(args)
        made = scratch / PARSE_FILE
        if not res.success or not made.exists() or has_parse(db):
            return has_parse(db)
        made.replace(target / PARSE_FILE)
        return True
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_dbt(db: Path, command: str = "build", full_refresh: bool = False, extra: list[str] | None = None,
            extract_in_dbt: bool = False, selector: str | None = None, wait: float = 0.0,
            on_phase: Callable[[str], None] | None = None) -> BuildResult:
    """Invoke `dbt <command>` on the shipped project; failures come back as text, not output.

    dbt opens the warehouse before it runs any node: while another process holds it, the
    invocation is tried again for up to `wait` seconds, then DatabaseLocked names the holder.
    """
    import logging
    import time

    from dbt.cli.main import dbtRunner

    from chatlake.core.db import is_lock_error, lock_message

    args = _common_args(command, db, dbt_work_dir(db) / "target")
    if full_refresh:
        args.append("--full-refresh")
    if selector:
        args += ["--selector", selector]
    if command == "build":
        # Unit tests check the SQL, not the data: plain `dbt build` and the test suite run
        # them; an import (which may run every few minutes) skips their ~1 s.
        args += ["--exclude-resource-type", "unit_test"]
    args += extra or []
    args += ["--vars", build_vars(db, extract_in_dbt) if command == "build" else dbt_vars(db, extract_in_dbt)]
    atomic = command == "build"
    if atomic:  # every node on one connection, in one transaction (transform/one_transaction.py)
        args += ["--threads", "1"]
    deadline = time.monotonic() + wait
    commit_error: Exception | None = None
    # A log file dbt cannot write (a full disk) would print Python's `--- Logging error ---` with
    # a stack for every event; the build's own errors still reach the result.
    quiet_logging, logging.raiseExceptions = logging.raiseExceptions, False
    try:
        while True:
            with one_transaction() if atomic else contextlib.nullcontext() as tx:
                try:
                    res = _invoke(dbtRunner(callbacks=[phase_listener(on_phase)] if on_phase else None), args, tx)
                    if tx is not None and res.exception is None and not _interrupted(res):
                        try:
                            tx.commit()
                        except Exception as exc:  # a node failed: DuckDB keeps the marts as before
                            commit_error = exc
                finally:
                    release_duckdb(db)
            if not (res.exception is not None and is_lock_error(res.exception)):
                break
            if time.monotonic() >= deadline:
                raise DatabaseLocked(lock_message(db, res.exception))
            time.sleep(0.25)
    finally:
        logging.raiseExceptions = quiet_logging
    if res.exception is not None:
        text = str(res.exception).strip().splitlines() or [type(res.exception).__name__]
        raise BuildFailed(f"dbt {command} could not run: {text[0]}")
    if _interrupted(res):
        raise KeyboardInterrupt
    failures = _failures(res)
    if commit_error is not None:
        failures = failures or [f"the build could not be committed: {str(commit_error).strip().splitlines()[0]}"]
    nodes = len(getattr(res.result, "results", None) or [])
    return BuildResult(ok=bool(res.success) and not failures, failures=failures, nodes_run=nodes)


def _invoke(runner, args: list[str], tx):
    """dbt's invocation on a thread of its own, so that Ctrl+C reaches this one at once.

    dbt's main loop waits on a lock that a signal interrupts only when the kernel hands it to
    that very thread; with DuckDB's own threads about, it mostly does not, and Ctrl+C waited
    for the running query to end (minutes, in a cold build). Here the waiting thread wakes
    every 0.1 s, and on Ctrl+C interrupts the build's one connection until dbt gives up.
    """
    outcome: dict = {}
    # an Event, not Thread.join: a join that Ctrl+C interrupts can leave is_alive() False
    # while the thread still runs (Python 3.11)
    done = threading.Event()

    def work() -> None:
        try:
            outcome["res"] = runner.invoke(args)
        except BaseException as exc:  # handed to the caller's thread
            outcome["exc"] = exc
        finally:
            done.set()

    # not a daemon: a thread still in DuckDB when the interpreter exits aborts the process
    threading.Thread(target=work, name="chatlake-dbt").start()
    try:
        while not done.wait(0.1):
            pass
    except KeyboardInterrupt:
        while not done.is_set():
            try:
                if tx is not None:
                    tx.interrupt()
                done.wait(0.05)
            except KeyboardInterrupt:  # pressed again: the build is stopping already
                pass
        raise
    if "exc" in outcome:
        raise outcome["exc"]
    return outcome["res"]


def _failures(res) -> list[str]:
    """One line per failed node. In one transaction, the nodes after a failed one fail only
    because it did: they are left out while the first failure stands."""
    failures: list[str] = []
    for node_result in getattr(res.result, "results", None) or []:
        status = str(getattr(node_result, "status", "")).lower()
        if status in ("error", "fail", "runtimeerr", "runtime error"):
            lines = [ln.strip() for ln in (node_result.message or status).strip().splitlines() if ln.strip()]
            message = lines[0] if len(lines) < 2 else f"{lines[0]} ... {lines[-1]}"
            if failures and "transaction is aborted" in message.lower():
                continue
            failures.append(f"{node_result.node.name}: {message}")
    return failures


def _interrupted(res) -> bool:
    """Ctrl+C: dbt hands back the interrupt, or, while a hook or node runs a query, DuckDB
    interrupts the query and dbt reports it as that node's error."""
    if isinstance(res.exception, KeyboardInterrupt):
        return True
    return any("Query interrupted" in f or "INTERRUPT Error" in f for f in _failures(res))
