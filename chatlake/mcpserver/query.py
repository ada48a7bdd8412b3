"""One query the assistant wrote: sandboxed, one statement, rows fetched only up to the cap, time bounded.

Unlike `chatlake sql` (a person, who may page through everything), a model's query must not pull a
whole table into the server's memory nor run forever, so rows stream and a timer interrupts it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from chatlake.core.db import connect
from chatlake.sql import EmptyQuery, QueryError, QueryResult, is_empty


@dataclass
class CappedResult(QueryResult):
    more_rows: bool = False  # rows beyond the cap were left unread


def run_capped(db: Path, sql: str, *, max_rows: int, seconds: float, wait: float = 0.0) -> CappedResult:
    """Run one statement on a read-only connection that reads no file but the warehouse."""
    import duckdb

    if is_empty(sql):
        raise EmptyQuery("the query is empty (nothing but spaces, `;` or comments)")
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(" ".join(str(exc).split())) from None
    if len(statements) > 1:
        raise QueryError(f"one statement at a time: this query holds {len(statements)}")
    con = connect(db, read_only=True, wait=wait, sandboxed=True)
    timer = threading.Timer(seconds, con.interrupt)
    timer.daemon = True
    timer.start()
    try:
        cursor = con.execute(sql)
        if cursor.description is None:
            return CappedResult([], [])
        rows = cursor.fetchmany(max_rows + 1)
        return CappedResult([d[0] for d in cursor.description], rows[:max_rows], len(rows) > max_rows)
    except duckdb.InterruptException:
        raise QueryError(f"the query ran for more than {seconds:g} s and was stopped;"
                         " narrow it (a filter, a LIMIT, fewer joins)") from None
    except duckdb.Error as exc:
        raise QueryError(" ".join(str(exc).split())) from None
    finally:
        timer.cancel()
        con.close()
