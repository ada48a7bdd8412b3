"""`chatlake embed`: a thin typer command over chatlake.embed.api.

Registered in chatlake/cli.py with `app.command("embed")(embed_command)`.
"""

from __future__ import annotations

import json
import sys
import time
from collections import deque
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from typing import TYPE_CHECKING
from chatlake.embed.config import DEFAULT_MODEL, KINDS, resolve_config
from chatlake.embed.errors import ConfigError, Interrupted, Stopped
from chatlake.embed.targets import schema_sql
from chatlake.errors import ChatlakeError

if TYPE_CHECKING:  # the API (and the openai client) load only when `embed` runs
    from chatlake.embed.api import EmbedSummary

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUDGET, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def _fail(message: str, code: int = EXIT_FAILED) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True)
    raise typer.Exit(code)


RATE_WINDOW = 15.0  # seconds of progress the rate (and so the ETA) is measured over


def moving_eta(samples: list[tuple[float, int]], remaining: int) -> float | None:
    """Seconds left at the rate of the (time, hashes done) samples given, oldest first; None before any rate."""
    if len(samples) < 2 or not remaining:
        return 0.0 if not remaining else None
    (t0, d0), (t1, d1) = samples[0], samples[-1]
    if t1 <= t0 or d1 <= d0:
        return None
    return remaining / ((d1 - d0) / (t1 - t0))


class _Bar:
    """What `embed` is doing, with a running clock, on stderr: starting (the target, the texts),
    then hashes done / to do with the rate and the ETA of the last RATE_WINDOW seconds."""

    def __init__(self, enabled: bool, console: Console | None = None, clock=time.monotonic) -> None:
        self.console = console or err
        # rich's live display leaves a blank line behind on a stream that is no terminal
        self.enabled = enabled and self.console.is_terminal
        self.clock = clock
        self.progress: Progress | None = None
        self.task = None
        self.samples: deque[tuple[float, int]] = deque()

    def __enter__(self) -> "_Bar":
        if self.enabled:
            self.progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(bar_width=20), TextColumn("{task.fields[count]}"),
                TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("{task.fields[eta]}"),
                console=self.console, transient=True,
            )
            self.progress.__enter__()
            # until the first hashes are done, the target starts and the texts are counted
            self.task = self.progress.add_task("starting", total=None, count="", rate="", eta="")
        return self

    def __call__(self, s: EmbedSummary, phase: str | None = None) -> None:
        if not self.progress:
            return
        if phase:
            self.progress.update(self.task, description=phase)
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
        self.progress.update(self.task, description="embedding", completed=s.done, total=s.to_do,
                             count=f"{s.done:,}/{s.to_do:,}", rate=rate,
                             eta=f"eta {int(eta) // 60}:{int(eta) % 60:02d}" if eta is not None else "")

    def __exit__(self, *exc) -> None:
        if self.progress:
            self.progress.__exit__(*exc)


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
    db: Optional[Path] = typer.Option(None, "--db", help="Warehouse file (default: $CHATLAKE_DB, else ~/.local/share/chatlake/chatlake.duckdb)."),
    target: Optional[str] = typer.Option(None, "--target", help="postgresql://… connection string (default: $SUPABASE_DB_URL; else $SUPABASE_URL + $SUPABASE_SERVICE_ROLE_KEY through REST; else a local Postgres that chatlake starts), or 'local'."),
    model: Optional[str] = typer.Option(None, "--model", help=f"Embedding model (default: {DEFAULT_MODEL})."),
    dimensions: Optional[int] = typer.Option(None, "--dimensions", help="Size of the vectors (default: the model's own; needed for other models)."),
    kinds: Optional[list[str]] = typer.Option(None, "--kinds", help=f"Kinds of message to embed, comma-separated or repeated: {', '.join(KINDS)} (default: prompt)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible server (default: $OPENAI_BASE_URL, else OpenAI)."),
    concurrency: int = typer.Option(4, "--concurrency", help="Requests in flight at once."),
    batch_size: int = typer.Option(2048, "--batch-size", help="Most inputs per request (OpenAI allows 2048)."),
    timeout: float = typer.Option(60.0, "--timeout", help="Seconds before a request is abandoned and retried."),
    no_redact: bool = typer.Option(False, "--no-redact", help="Send texts as typed, secrets included."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print how many hashes and tokens would be sent and what it would cost; send nothing."),
    max_cost: Optional[float] = typer.Option(None, "--max-cost", help="Stop before spending more than this many dollars."),
    price: Optional[float] = typer.Option(None, "--price", help="Dollars per million tokens (default: OpenAI's price for known models)."),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="Send again the texts the API refused in earlier runs."),
    recheck: bool = typer.Option(False, "--recheck", help="Ignore the local ledger and ask the target which texts it holds (after a target was reset)."),
    init: bool = typer.Option(False, "--init", help="Apply the schema to the target (idempotent) and exit."),
    reset: bool = typer.Option(False, "--reset", help="Remove the vectors of --model (default: the default model) from the target and exit; other models' vectors stay."),
    print_schema: bool = typer.Option(False, "--print-schema", help="Print the schema SQL (for Supabase's SQL editor) and exit."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    wait: bool = typer.Option(False, "--wait", help="Wait for an import holding the warehouse instead of exiting."),
) -> None:
    """Embed the messages that have no vector yet and push them to pgvector (Supabase or a local Postgres).

    Each distinct text is paid for once per model. Interrupted or killed runs resume where they stopped: run the same command again.

    Exit status: 0 done, 1 a text was refused or the API or target failed, 2 usage error, 3 stopped at --max-cost, 130 interrupted.
    """
    chosen_kinds = [k.strip() for item in (kinds or []) for k in item.split(",") if k.strip()]
    try:
        cfg = resolve_config(
            db=db, target=target, model=model, dimensions=dimensions, kinds=chosen_kinds or None,
            base_url=base_url, concurrency=concurrency, max_inputs=batch_size, timeout=timeout,
            redact=not no_redact, dry_run=dry_run or init or print_schema or reset, max_cost=max_cost, price=price,
            retry_failed=retry_failed, wait=3600.0 if wait else 0.0,
        )
    except ConfigError as exc:
        _fail(str(exc), EXIT_USAGE)
    if print_schema:
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
            from chatlake.allocator import reuse_freed_memory
            from chatlake.embed.api import embed_messages

            reuse_freed_memory()

            summary = embed_messages(cfg, on_progress=bar, recheck=recheck)
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
        _fail(f"{exc}; what was pushed is kept: run the same command again to resume")
    except ChatlakeError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        err.print("interrupted before anything was sent; run the same command again")
        raise typer.Exit(EXIT_INTERRUPTED)
    if as_json:
        sys.stdout.write(json.dumps(summary.to_dict(), indent=2) + "\n")
    elif not quiet:
        print_summary(summary)
    if summary.stopped == "max_cost":
        err.print(f"stopped at --max-cost ${cfg.max_cost:g}: {summary.remaining:,} hashes left;"
                  " raise it or run again to continue", highlight=False)
        raise typer.Exit(EXIT_BUDGET)
    raise typer.Exit(EXIT_OK if summary.ok else EXIT_FAILED)


def main() -> None:  # pragma: no cover - `python -m chatlake.embed.cli`, before chatlake/cli.py registers it
    typer.run(embed_command)


if __name__ == "__main__":
    main()
