"""Where vectors live: the `Target` interface over Postgres with pgvector (a local one chatlake
starts, Supabase's database, any other) and Supabase's REST API.

A store owns its schema (schema.sql: tables, row level security, helper functions; search.sql: the
one search function, chatlake_search_messages), applies it idempotently, and answers searches
(`Target.search`). Both the embed stage (writes) and the search stage (reads) go through it.
"""

from __future__ import annotations

from chatlake.vectorstore.base import (BULK_ROWS, TEXT_INDEX, EmbeddingRow, Target, VectorQuery, bulk_load_pays,
                                       hnsw_index, pgvector_text, schema_sql)
from chatlake.vectorstore.spec import TargetSpec

__all__ = ["BULK_ROWS", "TEXT_INDEX", "EmbeddingRow", "Target", "TargetSpec", "VectorQuery", "bulk_load_pays",
           "hnsw_index", "open_target", "pgvector_text", "schema_sql"]


def open_target(spec: TargetSpec) -> Target:
    """Connect to (or start) the configured target."""
    if spec.kind == "local":
        from chatlake.vectorstore.local import LocalTarget

        return LocalTarget(spec.pgdata, spec.label)
    if spec.kind == "rest":
        from chatlake.vectorstore.rest import RestTarget

        return RestTarget(spec.url, spec.key, spec.label)
    from psycopg.conninfo import conninfo_to_dict

    from chatlake.vectorstore.postgres import PostgresTarget

    try:
        secret = conninfo_to_dict(spec.dsn).get("password")
    except Exception:
        secret = None
    return PostgresTarget(spec.dsn, spec.label, secret=secret)
