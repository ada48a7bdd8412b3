"""The extractor as called by dbt's Python model `load_claude_code`."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from chatlake.extract.agents.kinds import agent_roots
from chatlake.extract.discover import default_roots
from chatlake.extract.land import extract
from chatlake.extract.schema import ensure_raw_schema

ROOTS_ENV = "CHATLAKE_ROOTS"
# Set by `chatlake import`, which has already run the extractor with a progress bar.
SKIP_ENV = "CHATLAKE_SKIP_EXTRACT"
# Forces the kind of export files among the roots (chatgpt, claude_ai); detected from content when unset.
SOURCE_KIND_ENV = "CHATLAKE_SOURCE_KIND"


def roots_from_env(environ: dict[str, str] | None = None) -> list[Path]:
    env = os.environ if environ is None else environ
    listed = [p for p in (env.get(ROOTS_ENV) or "").split(os.pathsep) if p.strip()]
    return [Path(p).expanduser() for p in listed] if listed else default_roots(env) + agent_roots(env)


def load_for_dbt(con) -> pl.DataFrame:
    """Extract (unless the CLI already did) and return the latest load's row."""
    if os.environ.get(SKIP_ENV) == "1":
        con.execute("begin transaction")
        ensure_raw_schema(con)
        con.execute("commit")
    else:
        extract(con, roots_from_env(), source_kind=os.environ.get(SOURCE_KIND_ENV))
    return con.sql(
        "select load_id, started_at, finished_at, files_seen, files_new, files_appended, files_unchanged,"
        " files_rewritten, files_failed, lines_landed, lines_rejected, bytes_read"
        " from raw.loads order by load_id desc limit 1"
    ).pl()
