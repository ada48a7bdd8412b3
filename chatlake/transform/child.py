"""The build of an append, in a child process forked before the load.

Importing dbt is about 2.5 s of Python. In this process it competes with the extract for the
GIL (both slow down); in a child forked before the warehouse is opened it runs on the other
core while this process lands the lines, and the child then runs the build it is sent. The
child is only worth it when dbt is not imported here yet (a long-lived Python process that
already built once has it), and only where `os.fork` exists. It holds no end of this process's
stdin/stdout/stderr, dies with this process on Linux (so a killed import does not leave a build
running), and anything that goes wrong with it sends the build back to this process.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Callable

from chatlake.transform.dbt import BuildResult, has_parse, parse_ahead, run_dbt
from chatlake.core.errors import BuildFailed, DatabaseLocked
from chatlake.core.process import detach, kill, reap


class DbtChild:
    """One forked child importing dbt and waiting for one build; later builds run here."""

    def __init__(self, pid: int, jobs: int, results: int) -> None:
        self.pid = pid
        self._jobs: int | None = jobs
        self._results: int | None = results

    @classmethod
    def start(cls, db: Path | None = None) -> DbtChild | None:
        """Fork the child; None where that is not possible or not worth it. With `db`, a warehouse
        with no saved parse of the project has it parsed in the child while the lines land
        (transform/dbt.py's parse_ahead)."""
        if not hasattr(os, "fork") or _dbt_imported():
            return None
        jobs_read, jobs_write = os.pipe()
        results_read, results_write = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(jobs_write)
            os.close(results_read)
            _serve(parent, jobs_read, results_write, db)
        os.close(jobs_read)
        os.close(results_write)
        return cls(pid, jobs_write, results_read)

    def build(self, db: Path, full_refresh: bool = False, selector: str | None = None,
              wait: float = 0.0, on_phase: Callable[[str], None] | None = None) -> BuildResult:
        """`dbt build` in the child (in this process if the child was used or is gone); raises
        BuildFailed and DatabaseLocked as run_dbt does."""
        if self._jobs is None:
            return run_dbt(db, "build", full_refresh=full_refresh, selector=selector, wait=wait, on_phase=on_phase)
        job = json.dumps({"db": str(db), "full_refresh": full_refresh, "selector": selector,
                          "wait": wait}).encode()
        reply = b""
        try:
            try:
                with os.fdopen(self._jobs, "wb") as jobs:
                    self._jobs = None
                    jobs.write(job)
                with os.fdopen(self._results, "rb") as results:
                    self._results = None
                    # the phases as they change, one line each, then the answer
                    for line in results:
                        reply = line
                        if line.startswith(b'{"phase"') and on_phase:
                            on_phase(json.loads(line)["phase"])
            except BrokenPipeError:  # the child is gone
                pass
        except KeyboardInterrupt:
            self._stop()
            raise
        self._reap()
        try:
            answer = json.loads(reply)
        except ValueError:  # the child died before answering (or while it did): build here
            return run_dbt(db, "build", full_refresh=full_refresh, selector=selector, wait=wait, on_phase=on_phase)
        if "phase" in answer:  # the child died after a phase line: build here
            return run_dbt(db, "build", full_refresh=full_refresh, selector=selector, wait=wait, on_phase=on_phase)
        if "locked" in answer:
            raise DatabaseLocked(answer["locked"])
        if "error" in answer:
            raise BuildFailed(answer["error"])
        return BuildResult(ok=answer["ok"], failures=answer["failures"], nodes_run=answer["nodes_run"])

    def close(self) -> None:
        """No build for the child (nothing landed, or an error): stop it. Before a job it has
        only imported dbt, never opened the warehouse, so it can simply be killed."""
        if self._jobs is not None:
            kill(self.pid)
            self.pid = 0
        for name in ("_jobs", "_results"):
            fd = getattr(self, name)
            if fd is not None:
                setattr(self, name, None)
                os.close(fd)
        self._reap()

    def _stop(self) -> None:
        """Ctrl+C: the child stops its build the way dbt stops on Ctrl+C; wait for it (a second
        Ctrl+C kills it: DuckDB's write-ahead log keeps the warehouse consistent either way)."""
        try:
            os.kill(self.pid, signal.SIGINT)
            self._reap()
        except KeyboardInterrupt:
            kill(self.pid)
            self.pid = 0
        except ProcessLookupError:
            pass
        finally:
            self.close()

    def _reap(self) -> None:
        reap(self.pid)
        self.pid = 0


def _dbt_imported() -> bool:
    return "dbt.cli.main" in sys.modules


def _serve(parent: int, jobs: int, results: int, db: Path | None) -> None:
    """The child's life: import dbt (and parse the project for a new warehouse), wait for a job,
    run it, answer, exit."""
    code = 0
    try:
        detach(parent)
        try:
            import dbt.cli.main  # noqa: F401  the point of the child
        except Exception:
            pass  # run_dbt meets the same error and reports it
        if db is not None and not has_parse(db):
            try:
                parse_ahead(db)
            except Exception:  # the build parses the project itself
                pass
        with os.fdopen(jobs, "rb") as stream:
            job = stream.read()
        if job:
            spec = json.loads(job)
            with os.fdopen(results, "wb", buffering=0) as stream:
                def tell(phase: str) -> None:
                    stream.write(json.dumps({"phase": phase}).encode() + b"\n")

                try:
                    result = run_dbt(Path(spec["db"]), "build", full_refresh=spec["full_refresh"],
                                     selector=spec["selector"], wait=spec.get("wait", 0.0), on_phase=tell)
                    answer = {"ok": result.ok, "failures": result.failures, "nodes_run": result.nodes_run}
                except DatabaseLocked as exc:
                    answer = {"locked": str(exc)}
                except BuildFailed as exc:
                    answer = {"error": str(exc)}
                stream.write(json.dumps(answer).encode() + b"\n")
    except BaseException:  # Ctrl+C, or the parent gone: nothing to tell
        code = 1
    finally:
        os._exit(code)
