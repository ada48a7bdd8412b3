"""Embed the distinct texts that have no vector yet and push them to the target, resumably."""

from __future__ import annotations

import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterator

from chatlake.core.db import connect
from chatlake.embed.batching import Prepared, Tokenizer, batches, load_tokenizer
from chatlake.embed.client import Abandoned, EmbeddingClient
from chatlake.embed.config import EmbedConfig, resolve_config
from chatlake.embed.errors import ApiError, Interrupted, Stopped
from chatlake.embed.ledger import Ledger, forget_model, warehouse_id
from chatlake.embed.preparing import PreparedStream, prepare
from chatlake.core.redact import RULESET, Redactions
from chatlake.embed.select import Pending, pending_messages, pending_texts
from chatlake.vectorstore import Target, open_target
from chatlake.embed.writer import Writer
from chatlake.core.errors import DatabaseLocked

# Called with the summary so far, and a phase name when a long step without counts begins.
ProgressFn = Callable[..., None]


@dataclass
class EmbedSummary:
    """What one `chatlake embed` did (or, with --dry-run, would do)."""

    target: str
    model: str
    dimensions: int
    tokenizer: str = ""
    dry_run: bool = False
    to_do: int = 0
    embedded: int = 0
    skipped: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    tokens: int = 0
    truncated: int = 0
    redacted: int = 0
    requests: int = 0
    retries: int = 0
    messages_pushed: int = 0
    price_per_million: float | None = None
    stopped: str | None = None  # "interrupted", "max_cost" or "error"
    ledger_behind: int = 0
    push_seconds: float = 0.0  # time spent writing vectors to the target
    index_rebuilt: bool = False
    index_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def done(self) -> int:
        return self.embedded + self.skipped + self.failed

    @property
    def remaining(self) -> int:
        return max(0, self.to_do - self.done)

    @property
    def cost(self) -> float | None:
        if self.price_per_million is None:
            return None
        return self.tokens * self.price_per_million / 1e6

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.stopped is None

    def to_dict(self) -> dict:
        data = asdict(self)
        data.update(done=self.done, remaining=self.remaining, cost=self.cost, ok=self.ok)
        return data


def _read_texts(cfg: EmbedConfig, label: str, recheck: bool) -> list[Pending]:
    """The pending texts, through one short read-only connection."""
    con = connect(cfg.db, read_only=True, wait=cfg.wait)
    try:
        return pending_texts(con, kinds=cfg.kinds, model=cfg.model, dimensions=cfg.dimensions, target=label,
                             include_failed=cfg.retry_failed or recheck, use_ledger=not recheck)
    finally:
        con.close()


def _read_messages(cfg: EmbedConfig, label: str) -> list[tuple]:
    """The message rows to push, through another short read-only connection."""
    scope = warehouse_id(cfg.db, wait=cfg.wait)
    con = connect(cfg.db, read_only=True, wait=cfg.wait)
    try:
        return pending_messages(con, kinds=cfg.kinds, target=label, redaction=RULESET if cfg.redact else "none",
                                warehouse_id=scope)
    finally:
        con.close()


class _CtrlC:
    """First Ctrl+C: stop sending, finish what is in flight. Second: abandon it (KeyboardInterrupt)."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.previous = None
        self.pressed = 0

    def __enter__(self) -> "_CtrlC":
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        self.pressed += 1
        self.stop.set()
        if self.pressed > 1:
            raise KeyboardInterrupt

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def init_target(config: EmbedConfig | None = None, **flags) -> str:
    """Apply the schema to the target (idempotent); returns the target's label."""
    cfg = config or resolve_config(dry_run=True, **flags)
    target = open_target(cfg.target)
    try:
        target.prepare(cfg.dimensions, cfg.model)
    finally:
        target.close()
    return target.label


def reset_model(config: EmbedConfig | None = None, **flags) -> int:
    """Remove the model's vectors from the target, and what the ledger says of them; returns how many went."""
    cfg = config or resolve_config(dry_run=True, **flags)
    target = open_target(cfg.target)
    try:
        # The ledger first: should the target fail next, a run checks it and pays nothing.
        forget_model(cfg.db, target.label, cfg.model, wait=cfg.wait)
        removed = target.reset(cfg.model)
    finally:
        target.close()
    return removed


class _Run:
    """The pipeline of one run: pre-check, request (several in flight), push, record."""

    def __init__(self, cfg: EmbedConfig, target: Target, writer: Writer, client: EmbeddingClient,
                 summary: EmbedSummary, stop: threading.Event, on_progress: ProgressFn | None) -> None:
        self.cfg = cfg
        self.target = target
        self.writer = writer
        self.client = client
        self.summary = summary
        self.stop = stop
        self.on_progress = on_progress
        self.inflight: dict[Future, list[Prepared]] = {}
        self.error: ApiError | None = None

    def _progress(self) -> None:
        if self.on_progress:
            self.on_progress(self.summary)

    def _budget_left(self) -> float | None:
        cfg = self.cfg
        if cfg.max_cost is None:
            return None
        reserved = sum(p.tokens for batch in self.inflight.values() for p in batch)
        return cfg.max_cost - (self.summary.tokens + reserved) * cfg.price_per_million / 1e6

    def _within_budget(self, todo: list[Prepared]) -> list[Prepared]:
        """The longest prefix of `todo` that fits --max-cost (all of it without one)."""
        left = self._budget_left()
        if left is None:
            return todo
        price = self.cfg.price_per_million / 1e6
        fits, cost = 0, 0.0
        for item in todo:
            if cost + item.tokens * price > left + 1e-12:
                break
            cost += item.tokens * price
            fits += 1
        return todo[:fits]

    def run(self, work: Iterator[list[Prepared]], pool: ThreadPoolExecutor) -> None:
        for batch in work:
            if self.stop.is_set():
                break
            present = self.target.existing(self.cfg.model, [p.content_hash for p in batch])
            if present:
                self.writer.present([p for p in batch if p.content_hash in present])
            todo = [p for p in batch if p.content_hash not in present]
            if not todo:
                continue
            affordable = self._within_budget(todo)
            if affordable:
                self.inflight[pool.submit(self.client.embed, affordable)] = affordable
            if len(affordable) < len(todo):
                self.summary.stopped = "max_cost"
                break
            while len(self.inflight) >= self.cfg.concurrency and not self.stop.is_set():
                self._collect(FIRST_COMPLETED)
            if self.error or self.writer.error:
                break
        while self.inflight:
            self._collect(FIRST_COMPLETED)

    def _collect(self, how) -> None:
        done, _ = wait(list(self.inflight), timeout=0.5, return_when=how)
        for future in done:
            self.inflight.pop(future)
            try:
                result = future.result()
            except Abandoned:
                continue
            except ApiError as exc:
                if self.error is None:
                    self.error = exc
                self.stop.set()  # requests waiting for a retry give up; those on the wire finish
                continue
            self._record(result)
        if self.writer.error is not None:
            self.stop.set()
        self._progress()

    def _record(self, result) -> None:
        """Count what the API answered (tokens are paid now) and hand it to the writer."""
        s = self.summary
        s.requests += result.requests
        s.retries += result.retries
        if result.vectors:
            self.writer.vectors(result.vectors)
            for p, _ in result.vectors:
                s.tokens += p.tokens
                s.truncated += p.truncated
                s.redacted += bool(p.redacted)
        if result.failed:
            self.writer.failed(result.failed)
            s.failed += len(result.failed)
            s.failures.extend(f"{p.content_hash[:12]}: {error}" for p, error in result.failed)


def embed_messages(
    config: EmbedConfig | None = None,
    *,
    on_progress: ProgressFn | None = None,
    stop: threading.Event | None = None,
    recheck: bool = False,
    tokenizer: Tokenizer | None = None,
    **flags,
) -> EmbedSummary:
    """Embed every distinct human-message text not yet in the target, and push vectors and messages.

    Raises Interrupted on Ctrl+C and Stopped when the API keeps failing; both carry the summary
    of what was pushed and recorded before. `recheck` ignores the ledger and asks the target.
    """
    started = time.monotonic()
    cfg = config or resolve_config(**flags)
    tokenizer = tokenizer or load_tokenizer(cfg.tiktoken_cache)
    stop = stop or threading.Event()
    label = cfg.target.label
    summary = EmbedSummary(target=label, model=cfg.model, dimensions=cfg.dimensions, tokenizer=tokenizer.name,
                           dry_run=cfg.dry_run, price_per_million=cfg.price_per_million)
    phase = (lambda name: on_progress(summary, name)) if on_progress else (lambda name: None)
    phase("reading the warehouse")
    texts = _read_texts(cfg, label, recheck)
    summary.to_do = len(texts)

    redactions = Redactions() if cfg.redact else None
    if cfg.dry_run:
        for item in prepare(texts, tokenizer, redactions, cfg.max_input_tokens):
            summary.tokens += item.tokens
            summary.truncated += item.truncated
            summary.redacted += bool(item.redacted)
        summary.seconds = time.monotonic() - started
        return summary
    # Forks the child that prepares many texts now, before this process opens anything else.
    stream = PreparedStream(texts, tokenizer, redactions, cfg.max_input_tokens)
    try:
        messages = _read_messages(cfg, label)
        if texts or messages:
            phase("starting the vector store" if cfg.target.kind == "local" else "connecting to the vector store")
        target = open_target(cfg.target) if texts or messages else None
    except BaseException:
        stream.close()
        raise
    if target is None:
        stream.close()
        summary.seconds = time.monotonic() - started
        return summary

    ledger = Ledger(cfg.db, label, cfg.model, cfg.dimensions)
    client = EmbeddingClient(cfg, stop)
    pool = ThreadPoolExecutor(max_workers=cfg.concurrency, thread_name_prefix="chatlake-embed")
    writer: Writer | None = None
    message_target: Target | None = None
    interrupted = bulk = False
    try:
        with _CtrlC(stop) as ctrl_c:
            try:
                target.prepare(cfg.dimensions, cfg.model)
                bulk = target.begin_bulk(len(texts), cfg.dimensions)
                # Prepared here, all texts are counted before any thread starts: tiktoken lets go of
                # the GIL for every text and, with busy threads around, waits each time to get it back.
                phase("preparing texts")
                prepared = stream if stream.forked else list(stream)
                # Message rows go through a connection of their own, in parallel with the vectors.
                message_target = target.sibling() if messages else None
                writer = Writer(target.sibling(), ledger, cfg.model, summary, messages, redactions,
                                on_progress=(lambda: on_progress(summary)) if on_progress else None,
                                message_target=message_target, messages_after=stream.finished)
                run = _Run(cfg, target, writer, client, summary, stop, on_progress)
                work = batches(prepared, cfg.max_inputs, cfg.max_request_tokens)
                run.run(work, pool)
                writer.close()
            except KeyboardInterrupt:
                interrupted = True
            interrupted = interrupted or ctrl_c.pressed > 0
            if writer is not None and writer.error is not None:
                raise writer.error
            if bulk and not interrupted:
                # An interrupted run leaves this to the next one, whose schema step builds the index.
                if on_progress:
                    on_progress(summary, "building the search index")
                index_started = time.monotonic()
                target.end_bulk()
                summary.index_rebuilt = True
                summary.index_seconds = time.monotonic() - index_started
    finally:
        stop.set()
        stream.close()
        pool.shutdown(wait=not interrupted, cancel_futures=True)
        if interrupted:
            client.close()  # abandon requests still on the wire
        if writer is not None:
            writer.close(abandon=True)  # after an error or a second Ctrl+C: the write under way ends, the rest is dropped
            writer.target.close()
        if message_target is not None:
            message_target.close()
        try:
            ledger.flush(wait=max(cfg.wait, 10.0))
        except DatabaseLocked:
            summary.ledger_behind = ledger.pending
        if not interrupted:
            client.close()
        target.close()
        summary.seconds = time.monotonic() - started
    if interrupted:
        summary.stopped = "interrupted"
        raise Interrupted("interrupted", summary)
    if run.error is not None:
        summary.stopped = "error"
        raise Stopped(str(run.error), summary)
    return summary
