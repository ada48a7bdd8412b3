"""What `chatlake embed` does, resolved once from the settings (chatlake.core.settings), and checked."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from chatlake.core.kinds import MESSAGE_KINDS as KINDS
from chatlake.core.settings import EmbedSettings, resolve
from chatlake.embed.batching import MAX_INPUT_TOKENS, MAX_INPUTS, MAX_REQUEST_TOKENS
from chatlake.embed.errors import ConfigError
from chatlake.vectorstore.spec import TargetSpec

DEFAULT_MODEL = EmbedSettings.model
DEFAULT_KINDS = EmbedSettings.kinds

# Native output size of OpenAI's embedding models; others need --dimensions.
MODEL_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}

# US dollars per million input tokens (OpenAI's list prices, standard tier).
MODEL_PRICES = {
    "text-embedding-3-small": 0.02,
    "text-embedding-3-large": 0.13,
    "text-embedding-ada-002": 0.10,
}


@dataclass(frozen=True)
class EmbedConfig:
    """Everything one embed run needs; build it with `resolve_config`."""

    db: Path
    target: TargetSpec
    model: str = DEFAULT_MODEL
    model_chosen: bool = False  # named by a flag, $CHATLAKE_EMBED_MODEL or the config file
    dimensions: int = 1536
    send_dimensions: bool = False  # only when asked: older models reject the parameter
    kinds: tuple[str, ...] = DEFAULT_KINDS
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    concurrency: int = EmbedSettings.concurrency
    max_inputs: int = MAX_INPUTS
    max_request_tokens: int = MAX_REQUEST_TOKENS
    max_input_tokens: int = MAX_INPUT_TOKENS
    redact: bool = True
    dry_run: bool = False
    max_cost: float | None = None
    price_per_million: float | None = None
    timeout: float = EmbedSettings.timeout
    attempts: int = EmbedSettings.attempts
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    retry_after_cap: float = 120.0
    retry_failed: bool = False
    wait: float = 0.0
    tiktoken_cache: str | None = None


def target_spec(embed: EmbedSettings, data_dir: Path) -> TargetSpec:
    """The target the settings name: a connection string or 'local', else Supabase REST when its URL is set, else the local Postgres."""
    local = TargetSpec("local", pgdata=data_dir / "pg")
    choice = embed.target
    if choice == "local":
        return local
    if choice:
        if choice.startswith(("http://", "https://")):
            if not embed.supabase_key:
                raise ConfigError("a REST target needs $SUPABASE_SERVICE_ROLE_KEY")
            return TargetSpec("rest", url=choice, key=embed.supabase_key)
        if choice.startswith(("postgres://", "postgresql://")) or "=" in choice:
            return TargetSpec("postgres", dsn=choice)
        raise ConfigError("--target must be a postgresql:// connection string, an https:// Supabase URL or 'local'")
    if embed.supabase_url:
        if not embed.supabase_key:
            raise ConfigError("$SUPABASE_URL is set but $SUPABASE_SERVICE_ROLE_KEY is not")
        return TargetSpec("rest", url=embed.supabase_url, key=embed.supabase_key)
    return local


def resolve_target(flag: str | None, environ: dict[str, str] | None = None) -> TargetSpec:
    """`--target`, else $SUPABASE_DB_URL, else $SUPABASE_URL + $SUPABASE_SERVICE_ROLE_KEY, else a local Postgres."""
    settings = resolve(environ=environ, embed={"target": flag})
    return target_spec(settings.embed, settings.data_dir)


def resolve_config(
    *,
    db: str | os.PathLike | None = None,
    target: str | None = None,
    model: str | None = None,
    dimensions: int | None = None,
    kinds: list[str] | tuple[str, ...] | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    concurrency: int | None = None,
    redact: bool = True,
    dry_run: bool = False,
    needs_key: bool | None = None,
    max_cost: float | None = None,
    price: float | None = None,
    timeout: float | None = None,
    attempts: int | None = None,
    max_inputs: int | None = None,
    retry_failed: bool = False,
    wait: bool | float | None = None,
    environ: dict[str, str] | None = None,
    **tuning,
) -> EmbedConfig:
    """Flags, then environment, then the config file, then defaults (chatlake.core.settings); raises
    ConfigError for a value that cannot work. An API key is needed unless `needs_key` is false
    (default: unless `dry_run`): applying the schema or removing vectors sends no text."""
    settings = resolve(db=db, wait=wait, environ=environ, embed={
        "target": target, "model": model, "kinds": tuple(kinds) if kinds else None, "base_url": base_url,
        "api_key": api_key, "concurrency": concurrency, "batch_size": max_inputs, "timeout": timeout,
        "attempts": attempts})
    e = settings.embed
    model = e.model
    if dimensions is None and model not in MODEL_DIMENSIONS:
        raise ConfigError(f"unknown model {model!r}: pass --dimensions (the size of its vectors)")
    dims = dimensions or MODEL_DIMENSIONS[model]
    if not 1 <= dims <= 16000:
        raise ConfigError("--dimensions must be between 1 and 16000 (pgvector's limit)")
    chosen_kinds = tuple(dict.fromkeys(e.kinds))
    unknown = [k for k in chosen_kinds if k not in KINDS]
    if unknown:
        raise ConfigError(f"unknown kind {unknown[0]!r}; kinds are {', '.join(KINDS)}")
    if e.concurrency < 1:
        raise ConfigError("--concurrency must be at least 1")
    if not 1 <= e.batch_size <= MAX_INPUTS:
        raise ConfigError(f"--batch-size must be between 1 and {MAX_INPUTS}")
    if max_cost is not None and max_cost < 0:
        raise ConfigError("--max-cost must not be negative")
    chosen_price = price if price is not None else MODEL_PRICES.get(model)
    if max_cost is not None and chosen_price is None:
        raise ConfigError(f"no known price for {model!r}: pass --price (dollars per million tokens) with --max-cost")
    key = e.api_key
    if key is None and e.base_url is not None:
        key = "unused"  # local OpenAI-compatible servers (Ollama, vLLM) take any key
    if key is None and (not dry_run if needs_key is None else needs_key):
        raise ConfigError("set $OPENAI_API_KEY (or --base-url for an OpenAI-compatible server)")
    return EmbedConfig(
        db=settings.db,
        target=target_spec(e, settings.data_dir),
        model=model,
        model_chosen=e.model_chosen,
        dimensions=dims,
        send_dimensions=dimensions is not None,
        kinds=chosen_kinds,
        base_url=e.base_url,
        api_key=key,
        concurrency=e.concurrency,
        max_inputs=e.batch_size,
        redact=redact,
        dry_run=dry_run,
        max_cost=max_cost,
        price_per_million=chosen_price,
        timeout=e.timeout,
        attempts=max(e.attempts, 1),
        retry_failed=retry_failed,
        wait=settings.wait,
        tiktoken_cache=settings.tiktoken_cache,
        **tuning,
    )
