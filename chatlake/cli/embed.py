"""`chatlake embed`: embed the texts that have no vector yet and push them to pgvector."""

from __future__ import annotations

import sys
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from chatlake.cli.common import (EXIT_BUDGET, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, PhaseProgress,
                                 db_option, err, fail, json_option, out, show_summary, wait_option)
from chatlake.core.errors import ChatlakeError
from chatlake.core.kinds import MESSAGE_KINDS as KINDS
from chatlake.core.settings import EmbedSettings

DEFAULT_MODEL = EmbedSettings.model

if TYPE_CHECKING:  # the API (and the openai client) load only when `embed` runs
    from chatlake.embed.api import EmbedSummary


RATE_WINDOW = 15.0  # seconds of progress the rate (and so the ETA) is measured over


def moving_eta(samples: list[tuple[float, int]], remaining: int) -> float | None:
    """Seconds left at the rate of the (time, hashes done) samples given, oldest first; None before any rate."""
    if len(samples) < 2 or not remaining:
        return 0.0 if not remaining else None
    (t0, d0), (t1, d1) = samples[0], samples[-1]
    if t1 <= t0 or d1 <= d0:
        return None
    return remaining / ((d1 - d0) / (t1 - t0))


class _Bar(PhaseProgress):
    """starting (the target, the texts), then hashes done / to do with the rate and the ETA of the
    last RATE_WINDOW seconds, then the index build of a bulk load."""

    FIELDS = ("count", "rate", "eta")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.samples: deque[tuple[float, int]] = deque()

    def __call__(self, s: EmbedSummary, phase: str | None = None) -> None:
        if not self.progress:
            return
        if phase:
            self.phase(phase)
            return
        now = self.clock()
        self.samples.append((now, s.done))
        while len(self.samples) > 2 and now - self.samples[1][0] >= RATE_WINDOW:
            self.samples.popleft()
        samples = list(self.samples)
        rate = ""
        if len(samples) > 1 and samples[-1][0] > samples[0][0]:
            rate = f"{(samples[-1][1] - samples[0][1]) / (samples[-1][0] - samples[0][0]):,.0f}/s"
        eta = moving_eta(samples, s.to_do - s.done)
        self.phase("embedding")
        self.update(completed=s.done, total=s.to_do, count=f"{s.done:,}/{s.to_do:,}", rate=rate,
                    eta=f"eta {int(eta) // 60}:{int(eta) % 60:02d}" if eta is not None else "")


def _money(value: float | None) -> str:
    if value is None:
        return "unknown (no price for this model; pass --price)"
    return f"${value:,.4f}" if value < 100 else f"${value:,.2f}"


def print_summary(s: EmbedSummary) -> None:
    price = f" at ${s.price_per_million:g} per million tokens" if s.price_per_million is not None else ""
    if s.dry_run:
        out.print(f"dry run: {s.to_do:,} hashes, {s.tokens:,} tokens would be sent to {s.model};"
                  f" estimated cost {_money(s.cost)}{price}", highlight=False)
        if s.truncated or s.redacted:
            out.print(f"{s.truncated:,} texts would be truncated, {s.redacted:,} have secrets redacted", highlight=False)
        out.print(f"tokens counted with {s.tokenizer}; nothing was sent", highlight=False)
        return
    out.print(f"hashes: {s.embedded:,} embedded, {s.skipped:,} skipped (already there), {s.failed:,} failed,"
              f" {s.remaining:,} left", highlight=False)
    out.print(f"tokens: {s.tokens:,} ({s.truncated:,} truncated, {s.redacted:,} with secrets redacted);"
              f" estimated cost {_money(s.cost)}{price}", highlight=False)
    out.print(f"requests: {s.requests:,} ({s.retries:,} retries); messages pushed: {s.messages_pushed:,}",
              highlight=False)
    out.print(f"target: {s.target}, model {s.model} ({s.dimensions} dimensions); {s.seconds:.2f}s", highlight=False)
    if s.index_rebuilt:
        out.print(f"search index built after the bulk load in {s.index_seconds:.1f}s", highlight=False)
    for failure in s.failures[:20]:
        err.print(f"[yellow]refused:[/] {failure}", highlight=False)
    if len(s.failures) > 20:
        err.print(f"[yellow]refused:[/] … and {len(s.failures) - 20} more", highlight=False)
    if s.failed:
        err.print("refused texts are not sent again; pass --retry-failed to try them", highlight=False)
    if s.ledger_behind:
        err.print(f"[yellow]note:[/] the warehouse was locked, so {s.ledger_behind:,} ledger rows were not written;"
                  " the next run checks the target and pays nothing for them", highlight=False)


def embed_command(
    db: Optional[Path] = db_option(),
    target: Optional[str] = typer.Option(None, "--target", help="postgresql://… connection string (default: $SUPABASE_DB_URL; else $SUPABASE_URL + $SUPABASE_SERVICE_ROLE_KEY through REST; else a local Postgres that chatlake starts), or 'local'."),
    model: Optional[str] = typer.Option(None, "--model", help=f"Embedding model (default: {DEFAULT_MODEL})."),
    dimensions: Optional[int] = typer.Option(None, "--dimensions", help="Size of the vectors (default: the model's own; needed for other models)."),
    kinds: Optional[list[str]] = typer.Option(None, "--kinds", help=f"Kinds of message to embed, comma-separated or repeated: {', '.join(KINDS)} (default: prompt)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible server (default: $OPENAI_BASE_URL, else OpenAI)."),
    concurrency: Optional[int] = typer.Option(None, "--concurrency", help="Requests in flight at once (default: 4)."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Most inputs per request (default and OpenAI's limit: 2048)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", help="Seconds before a request is abandoned and retried (default: 60)."),
    no_redact: Optional[bool] = typer.Option(None, "--no-redact", help="Send texts as typed, secrets included."),
    dry_run: Optional[bool] = typer.Option(None, "--dry-run", help="Print how many hashes and tokens would be sent and what it would cost; send nothing."),
    max_cost: Optional[float] = typer.Option(None, "--max-cost", help="Stop before spending more than this many dollars."),
    price: Optional[float] = typer.Option(None, "--price", help="Dollars per million tokens (default: OpenAI's price for known models)."),
    retry_failed: Optional[bool] = typer.Option(None, "--retry-failed", help="Send again the texts the API refused in earlier runs."),
    recheck: Optional[bool] = typer.Option(None, "--recheck", help="Ignore the local ledger and ask the target which texts it holds (after a target was reset)."),
    init: Optional[bool] = typer.Option(None, "--init", help="Apply the schema to the target (idempotent) and exit."),
    reset: Optional[bool] = typer.Option(None, "--reset", help="Remove the vectors of --model (default: the default model) from the target and exit; other models' vectors stay."),
    print_schema: Optional[bool] = typer.Option(None, "--print-schema", help="Print the schema SQL (for Supabase's SQL editor) and exit."),
    quiet: Optional[bool] = typer.Option(None, "--quiet", "-q", help="No progress bar and no summary."),
    as_json: Optional[bool] = json_option("the summary"),
    wait: Optional[bool] = wait_option(),
) -> None:
    """Embed the messages that have no vector yet and push them to pgvector (Supabase or a local Postgres).

    Each distinct text is paid for once per model. Interrupted or killed runs resume where they stopped: run the same command again.

    Exit status: 0 done, 1 a text was refused or the API or target failed, 2 usage error, 3 stopped at --max-cost, 130 interrupted.
    """
    from chatlake.embed.config import resolve_config
    from chatlake.embed.errors import Interrupted, Stopped

    chosen_kinds = [k.strip() for item in (kinds or []) for k in item.split(",") if k.strip()]
    try:

        cfg = resolve_config(
            db=db, target=target, model=model, dimensions=dimensions, kinds=chosen_kinds or None,
            base_url=base_url, concurrency=concurrency, max_inputs=batch_size, timeout=timeout,
            redact=not no_redact, dry_run=bool(dry_run), needs_key=not (dry_run or init or print_schema or reset),
            max_cost=max_cost, price=price, retry_failed=bool(retry_failed), wait=wait,
        )
    except ChatlakeError as exc:
        fail(exc)  # a value that cannot work: a usage error
    if print_schema:
        from chatlake.vectorstore import schema_sql

        sys.stdout.write(schema_sql(cfg.dimensions, cfg.model))
        raise typer.Exit(EXIT_OK)
    try:
        if init:
            from chatlake.embed.api import init_target

            label = init_target(cfg)
            out.print(f"schema applied to {label} ({cfg.dimensions} dimensions)", highlight=False)
            raise typer.Exit(EXIT_OK)
        if reset:
            from chatlake.embed.api import reset_model

            removed = reset_model(cfg)
            out.print(f"removed {removed:,} vectors of {cfg.model} from {cfg.target.label}", highlight=False)
            raise typer.Exit(EXIT_OK)
        with _Bar(enabled=not (quiet or as_json or dry_run)) as bar:
            from chatlake.core.process import reuse_freed_memory
            from chatlake.embed.api import embed_messages

            reuse_freed_memory()

            summary = embed_messages(cfg, on_progress=bar, recheck=bool(recheck))
    except Interrupted as exc:
        s = exc.summary
        if not quiet:
            print_summary(s)
        err.print(f"interrupted: {s.embedded:,} hashes embedded and recorded, {s.remaining:,} left;"
                  " run the same command again to resume", highlight=False)
        raise typer.Exit(EXIT_INTERRUPTED)
    except Stopped as exc:
        if not quiet:
            print_summary(exc.summary)
        fail(f"{exc}; what was pushed is kept: run the same command again to resume")
    except ChatlakeError as exc:
        fail(exc)
    except KeyboardInterrupt:
        err.print("interrupted before anything was sent; run the same command again")
        raise typer.Exit(EXIT_INTERRUPTED)
    show_summary(summary, as_json, quiet, print_summary)
    if summary.stopped == "max_cost":
        err.print(f"stopped at --max-cost ${cfg.max_cost:g}: {summary.remaining:,} hashes left;"
                  " raise it or run again to continue", highlight=False)
        raise typer.Exit(EXIT_BUDGET)
    raise typer.Exit(EXIT_OK if summary.ok else EXIT_FAILED)
