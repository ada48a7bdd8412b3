"""What `chatlake embed` does, resolved once: flags, then environment, then defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from chatlake.config import data_dir, resolve_db
from chatlake.embed.batching import MAX_INPUT_TOKENS, MAX_INPUTS, MAX_REQUEST_TOKENS
from chatlake.embed.errors import ConfigError

DEFAULT_MODEL = "text-embedding-3-small"
DEFAULT_KINDS = ("prompt",)
KINDS = ("prompt", "command", "bash", "memory")

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
class TargetSpec:
    """Where vectors go. `label` names it without any secret; it keys the ledger."""

    kind: str  # "postgres" | "local" | "rest"
    dsn: str | None = field(default=None, repr=False)
    url: str | None = None
    key: str | None = field(default=None, repr=False)
    pgdata: Path | None = None

    @property
    def label(self) -> str:
        if self.kind == "local":
            return f"local:{self.pgdata}"
        if self.kind == "rest":
            return f"rest:{(self.url or '').rstrip('/')}"
        return safe_dsn(self.dsn or "")


def safe_dsn(dsn: str) -> str:
    """A connection string with its password left out, for ledgers and messages."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(dsn)
    except Exception:
        return "postgresql://(unparseable connection string)"
    user = parts.get("user") or ""
    host = parts.get("host") or ""
    port = parts.get("port") or ""
    db = parts.get("dbname") or ""
    where = f"{host}:{port}" if port and host and not host.startswith("/") else host
    label = f"postgresql://{user + '@' if user else ''}{'' if where.startswith('/') else where}/{db}"
    if where.startswith("/"):
        label += f"?host={where}"
    return label


@dataclass(frozen=True)
class EmbedConfig:
    """Everything one embed run needs; build it with `resolve_config`."""

    db: Path
    target: TargetSpec
    model: str = DEFAULT_MODEL
    dimensions: int = 1536
    send_dimensions: bool = False  # only when asked: older models reject the parameter
    kinds: tuple[str, ...] = DEFAULT_KINDS
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    concurrency: int = 4
    max_inputs: int = MAX_INPUTS
    max_request_tokens: int = MAX_REQUEST_TOKENS
    max_input_tokens: int = MAX_INPUT_TOKENS
    redact: bool = True
    dry_run: bool = False
    max_cost: float | None = None
    price_per_million: float | None = None
    timeout: float = 60.0
    attempts: int = 6
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    retry_after_cap: float = 120.0
    retry_failed: bool = False
    wait: float = 0.0


def resolve_target(flag: str | None, environ: dict[str, str]) -> TargetSpec:
    """`--target`, else $SUPABASE_DB_URL, else $SUPABASE_URL + $SUPABASE_SERVICE_ROLE_KEY, else a local Postgres."""
    local = TargetSpec("local", pgdata=data_dir(environ) / "pg")
    choice = flag or environ.get("SUPABASE_DB_URL")
    if choice == "local":
        return local
    if choice:
        if choice.startswith(("http://", "https://")):
            key = environ.get("SUPABASE_SERVICE_ROLE_KEY")
            if not key:
                raise ConfigError("a REST target needs $SUPABASE_SERVICE_ROLE_KEY")
            return TargetSpec("rest", url=choice, key=key)
        if choice.startswith(("postgres://", "postgresql://")) or "=" in choice:
            return TargetSpec("postgres", dsn=choice)
        raise ConfigError("--target must be a postgresql:// connection string, an https:// Supabase URL or 'local'")
    if environ.get("SUPABASE_URL"):
        key = environ.get("SUPABASE_SERVICE_ROLE_KEY")
        if not key:
            raise ConfigError("$SUPABASE_URL is set but $SUPABASE_SERVICE_ROLE_KEY is not")
        return TargetSpec("rest", url=environ["SUPABASE_URL"], key=key)
    return local


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
    max_cost: float | None = None,
    price: float | None = None,
    timeout: float | None = None,
    attempts: int | None = None,
    max_inputs: int | None = None,
    retry_failed: bool = False,
    wait: float = 0.0,
    environ: dict[str, str] | None = None,
    **tuning,
) -> EmbedConfig:
    """Flags, then environment, then defaults; raises ConfigError for a value that cannot work."""
    env = dict(os.environ if environ is None else environ)
    model = model or env.get("CHATLAKE_EMBED_MODEL") or DEFAULT_MODEL
    if dimensions is None and model not in MODEL_DIMENSIONS:
        raise ConfigError(f"unknown model {model!r}: pass --dimensions (the size of its vectors)")
    dims = dimensions or MODEL_DIMENSIONS[model]
    if not 1 <= dims <= 16000:
        raise ConfigError("--dimensions must be between 1 and 16000 (pgvector's limit)")
    chosen_kinds = tuple(dict.fromkeys(kinds)) if kinds else DEFAULT_KINDS
    unknown = [k for k in chosen_kinds if k not in KINDS]
    if unknown:
        raise ConfigError(f"unknown kind {unknown[0]!r}; kinds are {', '.join(KINDS)}")
    concurrency = concurrency if concurrency is not None else 4
    if concurrency < 1:
        raise ConfigError("--concurrency must be at least 1")
    max_inputs = max_inputs or MAX_INPUTS
    if not 1 <= max_inputs <= MAX_INPUTS:
        raise ConfigError(f"--batch-size must be between 1 and {MAX_INPUTS}")
    if max_cost is not None and max_cost < 0:
        raise ConfigError("--max-cost must not be negative")
    chosen_price = price if price is not None else MODEL_PRICES.get(model)
    if max_cost is not None and chosen_price is None:
        raise ConfigError(f"no known price for {model!r}: pass --price (dollars per million tokens) with --max-cost")
    base = base_url or env.get("OPENAI_BASE_URL") or None
    key = api_key or env.get("OPENAI_API_KEY") or None
    if key is None and base is not None:
        key = "unused"  # local OpenAI-compatible servers (Ollama, vLLM) take any key
    if key is None and not dry_run:
        raise ConfigError("set $OPENAI_API_KEY (or --base-url for an OpenAI-compatible server)")
    return EmbedConfig(
        db=resolve_db(db, env),
        target=resolve_target(target, env),
        model=model,
        dimensions=dims,
        send_dimensions=dimensions is not None,
        kinds=chosen_kinds,
        base_url=base,
        api_key=key,
        concurrency=concurrency,
        max_inputs=max_inputs,
        redact=redact,
        dry_run=dry_run,
        max_cost=max_cost,
        price_per_million=chosen_price,
        timeout=timeout if timeout is not None else 60.0,
        attempts=max(attempts if attempts is not None else 6, 1),
        retry_failed=retry_failed,
        wait=wait,
        **tuning,
    )
