"""Which vector store: a Postgres connection string, the local Postgres chatlake starts, or Supabase's REST API."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


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
