"""Texts made ready to send: redacted (unless --no-redact), counted with tiktoken, cut to fit.

For a large run this is done by a child process forked after the texts are read, streaming
its results in chunks, so that the first requests leave while the rest is still being
prepared. In this process the work would compete for the GIL with the threads reading the
answers (tiktoken lets go of the GIL for every text and then waits to get it back), so it used
to be done in full before the first request: about 3 s per 100,000 texts with the other core
idle. The child sends back only token counts and the texts it changed; the texts themselves
it inherited. It holds no end of this process's standard streams, dies with this process on
Linux, and if it fails, what it did not deliver is prepared here.
"""

from __future__ import annotations

import os
import pickle
import queue
import signal
import struct
import threading
from typing import Iterator, Sequence

from chatlake.embed.batching import Prepared, Tokenizer, fit
from chatlake.core.redact import Redaction, Redactions, redact
from chatlake.embed.select import Pending
from chatlake.core.process import detach, kill

# Fewer texts than this are prepared here: a fork is not worth it.
CHILD_MIN_TEXTS = 8192
# Texts per message from the child: the first request waits for the first one.
CHUNK = 1024

_LENGTH = struct.Struct(">I")


def prepare(items: Sequence[Pending], tokenizer: Tokenizer, redactions: Redactions | None,
            max_tokens: int) -> Iterator[Prepared]:
    """Redact, count and cut each text, in this process."""
    for item in items:
        if redactions is not None:
            red = redactions.get(item.content_hash, item.content)
            yield fit(item.content_hash, red.text, tokenizer, max_tokens, red.kinds)
        else:
            yield fit(item.content_hash, item.content, tokenizer, max_tokens)


class PreparedStream:
    """The prepared texts, in order; from a forked child when there are many. Close it (or use
    it in a with-block): a run that stops early must not leave the child behind."""

    def __init__(self, items: Sequence[Pending], tokenizer: Tokenizer, redactions: Redactions | None,
                 max_tokens: int, fork: bool | None = None) -> None:
        self.items = items
        self.tokenizer = tokenizer
        self.redactions = redactions
        self.max_tokens = max_tokens
        self.pid = 0
        self._fd: int | None = None
        self._reader: threading.Thread | None = None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self.forked = False
        self.from_child = 0  # texts the child delivered
        # Set once every text has been prepared (or the stream is closed): from then on the
        # redactions of all texts are known.
        self.finished = threading.Event()
        if fork is None:
            fork = len(items) >= CHILD_MIN_TEXTS
        if fork and hasattr(os, "fork"):
            self._start()

    def _start(self) -> None:
        read_end, write_end = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read_end)
            _serve(parent, write_end, self.items, self.tokenizer, self.redactions is not None, self.max_tokens)
        os.close(write_end)
        self.pid, self._fd, self.forked = pid, read_end, True
        self._reader = threading.Thread(target=self._read_ahead, name="chatlake-embed-prepared", daemon=True)
        self._reader.start()

    def __enter__(self) -> "PreparedStream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.finished.set()
        kill(self.pid)  # done by now, or not wanted any more; its end of the pipe closes with it
        self.pid = 0
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join()  # it reads to the end of the pipe and stops
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __iter__(self) -> Iterator[Prepared]:
        done = 0
        if self._reader is not None:
            while True:
                chunk = self._queue.get()
                if chunk is None:
                    break
                yield from chunk
                done += len(chunk)
            self.close()
        # Without a child, or whatever the child did not deliver (it failed or was killed).
        yield from prepare(self.items[done:], self.tokenizer, self.redactions, self.max_tokens)
        self.finished.set()

    def _read_ahead(self) -> None:
        """On a thread: take each chunk from the child as it comes, so that `finished` is set (and
        the redactions known) as soon as the child is done, whatever the pace of the requests."""
        done = 0
        try:
            for start, tokens, changed in self._chunks():
                if start != done:
                    break
                self._queue.put(list(self._rebuild(start, tokens, changed)))
                done = self.from_child = start + len(tokens)
        finally:
            if done == len(self.items):
                self.finished.set()
            self._queue.put(None)

    def _rebuild(self, start: int, tokens: list[int], changed: dict) -> Iterator[Prepared]:
        redactions = self.redactions
        for offset, count in enumerate(tokens):
            item = self.items[start + offset]
            kinds, redacted, cut = changed.get(offset, ((), None, None))
            full = item.content if redacted is None else redacted
            if redactions is not None:
                redactions.put(item.content_hash, Redaction(full, kinds))
            yield Prepared(item.content_hash, full if cut is None else cut, count, cut is not None, kinds)

    def _chunks(self) -> Iterator[tuple[int, list[int], dict]]:
        """(index of the first text, token counts, {offset: (kinds, redacted text, cut text)}) until
        the child says it is done; stops early if it dies or sends something unreadable."""
        while True:
            head = self._read(_LENGTH.size)
            if head is None:
                return
            body = self._read(_LENGTH.unpack(head)[0])
            if body is None:
                return
            try:
                chunk = pickle.loads(body)
            except Exception:
                return
            if chunk is None:
                return
            yield chunk

    def _read(self, size: int) -> bytes | None:
        parts, left = [], size
        while left:
            data = os.read(self._fd, min(left, 1 << 20))
            if not data:
                return None
            parts.append(data)
            left -= len(data)
        return b"".join(parts)


def _serve(parent: int, fd: int, items: Sequence[Pending], tokenizer: Tokenizer, redacting: bool,
           max_tokens: int) -> None:
    """The child's life: prepare every text, a chunk at a time, and exit."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle; it closes the pipe
        detach(parent)
        with os.fdopen(fd, "wb", buffering=0) as out:
            for start in range(0, len(items), CHUNK):
                tokens, changed = [], {}
                for offset, item in enumerate(items[start:start + CHUNK]):
                    red = redact(item.content) if redacting else Redaction(item.content)
                    ready = fit(item.content_hash, red.text, tokenizer, max_tokens, red.kinds)
                    tokens.append(ready.tokens)
                    if red.kinds or ready.truncated:
                        changed[offset] = (red.kinds, red.text if red.kinds else None,
                                           ready.text if ready.truncated else None)
                _send(out, (start, tokens, changed))
            _send(out, None)
    except BaseException:  # the parent stopped reading, or died: nothing to tell
        code = 1
    finally:
        os._exit(code)


def _send(out, message) -> None:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_LENGTH.pack(len(body)) + body)
