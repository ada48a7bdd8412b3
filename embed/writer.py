"""The writer: threads with their own connections to the target that store what the API returned, then record it.

Writing to Postgres is mostly waiting for the server (the GIL is free meanwhile), so on their
own threads the writes hide behind the requests in flight. One thread writes vectors as they
come; a second, on a second connection, writes the message rows meanwhile. Per batch the order
stays the one that makes a crash harmless: push, commit, then the ledger.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from chatlake.embed.ledger import Ledger
from chatlake.core.redact import Redactions
from chatlake.vectorstore import Target

if TYPE_CHECKING:
    from chatlake.embed.api import EmbedSummary
    from chatlake.embed.batching import Prepared

# Message rows go to the target in chunks of this many (one COPY each).
MESSAGE_CHUNK = 20_000
# Batches of vectors waiting for the writer before the main thread waits in turn.
QUEUE_DEPTH = 4

_DONE = object()


@dataclass(eq=False)
class Writer:
    """Owns the target connection it is given and, while it runs, the ledger; starts at once."""

    target: Target
    ledger: Ledger
    model: str
    summary: "EmbedSummary"
    messages: list[tuple]  # MESSAGE_COLUMNS + fingerprint, as read from the warehouse
    redactions: Redactions | None
    on_progress: Callable[[], None] | None = None
    # The connection the message rows go through; None writes them after the vectors, on `target`.
    message_target: Target | None = None
    # Message rows wait for this (the texts all prepared, so their redactions known); `close` sets it.
    messages_after: threading.Event | None = None
    error: BaseException | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.jobs: queue.Queue = queue.Queue(maxsize=QUEUE_DEPTH)
        self.abandon = threading.Event()
        self._lock = threading.Lock()  # the ledger, the summary's counts and the progress callback
        self._next_message = 0
        self._threads = [threading.Thread(target=self._loop, name="chatlake-embed-writer", daemon=True)]
        if self.message_target is not None:
            self._threads.append(threading.Thread(target=self._message_loop, name="chatlake-embed-messages",
                                                  daemon=True))
        for thread in self._threads:
            thread.start()

    # What the main thread hands over: each call may wait while the queue is full.
    def vectors(self, rows: list[tuple["Prepared", object]]) -> None:
        """Vectors the API returned, as (prepared text, vector)."""
        self.jobs.put(("vectors", rows))

    def present(self, items: list["Prepared"]) -> None:
        """Texts the target already holds: recorded in the ledger, not sent."""
        self.jobs.put(("present", items))

    def failed(self, rows: list[tuple["Prepared", str]]) -> None:
        """Texts the API refused, with its error."""
        self.jobs.put(("failed", rows))

    def close(self, abandon: bool = False) -> None:
        """Finish what was handed over (or, with `abandon`, only the write under way) and stop."""
        if abandon:
            self.abandon.set()
        if self.messages_after is not None:
            self.messages_after.set()
        if self._threads[0].is_alive():
            self.jobs.put(_DONE)
        for thread in self._threads:
            thread.join()

    def _loop(self) -> None:
        while True:
            job = self.jobs.get()
            if job is _DONE:
                if self.message_target is None:
                    self._message_loop()
                return
            kind, rows = job
            self._guarded(getattr(self, f"_{kind}"), rows)

    def _message_loop(self) -> None:
        if self.messages_after is not None:
            self.messages_after.wait()
        while self._next_message < len(self.messages) and not self._stopped():
            self._guarded(self._push_messages)

    def _stopped(self) -> bool:
        return self.error is not None or self.abandon.is_set()

    def _guarded(self, step, *args) -> None:
        """Run one step unless the writer failed or was told to abandon; keep the first error."""
        if self._stopped():
            return
        try:
            step(*args)
            with self._lock:
                self.ledger.maybe_flush()
        except BaseException as exc:  # re-raised on the main thread by the run
            with self._lock:
                if self.error is None:
                    self.error = exc
            return
        if self.on_progress:
            with self._lock:
                self.on_progress()

    def _vectors(self, rows: list[tuple["Prepared", object]]) -> None:
        started = time.monotonic()
        new = self.target.push_embeddings(
            self.model, [(p.content_hash, vec, p.tokens, p.truncated) for p, vec in rows])
        with self._lock:
            self.summary.push_seconds += time.monotonic() - started
            self.ledger.add_embedded([(p.content_hash, p.tokens, p.truncated) for p, _ in rows])
            self.summary.embedded += new
            self.summary.skipped += len(rows) - new

    def _present(self, items: list["Prepared"]) -> None:
        with self._lock:
            self.ledger.add_embedded([(p.content_hash, p.tokens, p.truncated) for p in items])
            self.summary.skipped += len(items)

    def _failed(self, rows: list[tuple["Prepared", str]]) -> None:
        with self._lock:
            self.ledger.add_failed([(p.content_hash, error) for p, error in rows])

    def _push_messages(self) -> None:
        start = self._next_message
        chunk = self.messages[start:start + MESSAGE_CHUNK]
        out = []
        for row in chunk:
            *columns, _fingerprint = row
            if self.redactions is not None:
                columns[5] = self.redactions.get(columns[6], columns[5]).text  # content, by content_hash
            out.append(tuple(columns))
        (self.message_target or self.target).push_messages(out)
        with self._lock:
            self.ledger.add_messages([(row[0], row[-1]) for row in chunk])
            self.summary.messages_pushed += len(chunk)
        self._next_message = start + len(chunk)
