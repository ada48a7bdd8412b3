"""The extractor as called by dbt's Python model `load_claude_code`.

A plain `dbt build` runs the extractor here, over the roots the settings give ($CHATLAKE_ROOTS,
else the config file's, else Claude Code's folders). `chatlake import` has landed the lines
already and says so through the dbt variable `chatlake_skip_extract` (see transform/dbt.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatlake.core.settings import resolve
from chatlake.extract.land import extract
from chatlake.extract.schema import ensure_raw_schema

if TYPE_CHECKING:
    import pyarrow as pa


def load_for_dbt(con, skip_extract: bool = False) -> pa.Table:
    """Extract (unless the CLI already did) and return the latest load's row.

    As Arrow, not polars: the build may run in a child forked from a process that has used
    polars (a second import in one Python session), where polars' thread pool is gone and its
    first call never returns."""
    if skip_extract:
        con.execute("begin transaction")
        ensure_raw_schema(con)
        con.execute("commit")
    else:
        settings = resolve()
        extract(con, list(settings.roots), source_kind=settings.source_kind)
    return con.sql(
        "select load_id, started_at, finished_at, files_seen, files_new, files_appended, files_unchanged,"
        " files_rewritten, files_failed, lines_landed, lines_rejected, bytes_read"
        " from raw.loads order by load_id desc limit 1"
    ).to_arrow_table()
