"""One thread that runs a load's DuckDB statements in order, so that reading files overlaps writing."""

from __future__ import annotations

import queue
import threading
from typing import Callable


class Writer:
    """Runs DuckDB statements in order on one thread, so reading files overlaps with writing."""

    def __init__(self, con) -> None:
        self.con = con
        self.jobs: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="chatlake-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            if self.error is None:
                try:
                    job(self.con)
                except BaseException as exc:  # surfaced in the reading thread
                    self.error = exc

    def submit(self, job: Callable) -> None:
        self._raise()
        self.jobs.put(job)

    def finish(self) -> None:
        """Wait for every queued statement; re-raise the first failure."""
        self.jobs.put(None)
        self.thread.join()
        self._raise()

    def abandon(self) -> None:
        """Stop as soon as possible (Ctrl+C or an error): interrupt the running statement."""
        self.error = self.error or KeyboardInterrupt()
        try:
            self.con.interrupt()
        except Exception:
            pass
        while self.thread.is_alive():
            try:
                self.jobs.put(None, timeout=0.1)
            except queue.Full:
                try:
                    self.jobs.get_nowait()
                except queue.Empty:
                    pass
            self.thread.join(timeout=0.1)

    def _raise(self) -> None:
        if self.error is not None and not isinstance(self.error, KeyboardInterrupt):
            raise self.error
