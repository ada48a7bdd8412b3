"""A batch of rows handed to DuckDB as an Arrow table, read by name in the load's statements."""

from __future__ import annotations

# Arrow record batches of this many rows: DuckDB scans a batch per thread, so small ones spread
# a batch of long lines over both cores.
ARROW_BATCH_ROWS = 1024


class ArrowBatch:
    """`table` readable as `name` in the statements `run` is given, and released on `close`.

    Not `con.register`: inside a transaction (a load is one), a view dropped by `unregister`
    stays in DuckDB's catalog until the transaction ends, and the Arrow table with it. A first
    import held every batch it had landed that way (1 GB of Arrow buffers for a 1 GiB Codex
    tree, BENCHMARKS.md). A relation's query keeps nothing once the relation is gone."""

    def __init__(self, con, name: str, table) -> None:
        import pyarrow as pa

        self._name = name
        self._relation = con.from_arrow(pa.Table.from_batches(table.to_batches(max_chunksize=ARROW_BATCH_ROWS)))

    def run(self, sql: str) -> list[tuple]:
        """Run one statement (a query, or an insert, which answers its row count) over the batch."""
        return self._relation.query(self._name, sql).fetchall()

    def close(self) -> None:
        self._relation = None

    def __enter__(self) -> ArrowBatch:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
