"""Postgres with pgvector (Supabase's database, or any): the schema applied idempotently, vectors by
binary COPY, messages by COPY and upsert, search through chatlake_search_messages."""

from __future__ import annotations

from chatlake.vectorstore.base import (MAX_EF_SEARCH, MESSAGE_COLUMNS, SEARCH_FUNCTION, TEXT_INDEX, TEXT_INDEX_SQL,
                                       EmbeddingRow, TargetError, VectorQuery, bulk_load_pays,
                                       dimensions_refused, hnsw_index, hnsw_index_sql, schema_sql)
from chatlake.vectorstore.pgcopy import _whole_block_writer, embedding_copy_data

class PostgresTarget:
    """psycopg 3: the schema applied idempotently, writes by binary COPY into a temp table, then one upsert."""

    def __init__(self, dsn: str, label: str, secret: str | None = None) -> None:
        import psycopg

        self.label = label
        self._dsn = dsn
        self._secret = secret
        try:
            self.conn = psycopg.connect(dsn, connect_timeout=15, application_name="chatlake embed")
        except psycopg.Error as exc:
            raise TargetError(f"cannot connect to {label}: {self._scrub(exc)}") from None
        self._staging = False
        self._unscoped: bool | None = None
        self._model: str | None = None
        self._dimensions = 0
        self._bulk_memory = 64 << 20

    def _scrub(self, exc: BaseException) -> str:
        text = " ".join(str(exc).split()) or type(exc).__name__
        if self._secret:
            text = text.replace(self._secret, "***")
        return text

    def _dimensions_in_place(self, model: str) -> int | None:
        if self.conn.execute("select to_regclass('chatlake_embeddings')").fetchone()[0] is None:
            return None
        row = self.conn.execute("select vector_dims(embedding) from chatlake_embeddings where model = %s limit 1",
                                [model]).fetchone()
        return row[0] if row else None

    def prepare(self, dimensions: int, model: str | None = None) -> None:
        import psycopg

        self._model, self._dimensions = model, dimensions
        try:
            in_place = self._dimensions_in_place(model) if model else None
            self.conn.rollback()
            if in_place is not None and in_place != dimensions:
                raise TargetError(dimensions_refused(self.label, model, in_place, dimensions))
            with self.conn.transaction():
                # Enough memory to build the HNSW index in one pass should it be (re)built here.
                self.conn.execute("set local maintenance_work_mem = '512MB'")
                self.conn.execute(schema_sql(dimensions, model))
        except psycopg.Error as exc:
            raise TargetError(f"cannot apply the schema to {self.label}: {self._scrub(exc)}") from None

    def reset(self, model: str) -> int:
        """Remove `model`'s vectors and their index; returns how many vectors went."""
        import psycopg

        try:
            with self.conn.transaction():
                if self.conn.execute("select to_regclass('chatlake_embeddings')").fetchone()[0] is None:
                    return 0
                prefix, suffix = hnsw_index(model, 0).rsplit("_0_", 1)
                for (name,) in self.conn.execute("select indexname from pg_indexes"
                                                 " where tablename = 'chatlake_embeddings'").fetchall():
                    if name.startswith(prefix + "_") and name.endswith("_" + suffix):  # any size of this model
                        self.conn.execute(f"drop index if exists {name}")
                return self.conn.execute("delete from chatlake_embeddings where model = %s", [model]).rowcount
        except psycopg.Error as exc:
            raise TargetError(f"removing {model}'s vectors from {self.label} failed: {self._scrub(exc)}") from None

    def existing(self, model: str, hashes: list[str]) -> set[str]:
        if not hashes:
            return set()
        import psycopg

        try:
            with self.conn.transaction():
                # One text parameter split by the server: psycopg would dump a list item by item.
                rows = self.conn.execute(
                    "select content_hash from chatlake_embeddings"
                    " where model = %s and content_hash = any(string_to_array(%s, ','))",
                    [model, ",".join(hashes)],
                ).fetchall()
        except psycopg.Error as exc:
            raise TargetError(f"checking hashes against {self.label} failed: {self._scrub(exc)}") from None
        return {r[0] for r in rows}

    def begin_bulk(self, rows: int, dimensions: int) -> bool:
        """Drop the HNSW and full-text indexes when this run brings more vectors than the table holds
        (and many): building them once at the end costs far less than keeping them up to date row by
        row. A run that stops before the end leaves them to the next one's schema step."""
        import psycopg

        if not bulk_load_pays(rows, 0) or not self._model:
            return False
        try:
            with self.conn.transaction():
                held = self.conn.execute("select count(*) from (select 1 from chatlake_embeddings"
                                         " where model = %s limit %s) t", [self._model, rows + 1]).fetchone()[0]
                if not bulk_load_pays(rows, held):
                    return False
                self.conn.execute(f"drop index if exists {hnsw_index(self._model, dimensions)}")
                self.conn.execute(f"drop index if exists {TEXT_INDEX}")
        except psycopg.Error as exc:
            raise TargetError(f"cannot prepare {self.label} for a bulk load: {self._scrub(exc)}") from None
        self._bulk_memory = min(1 << 30, max(64 << 20, int(rows * (dimensions * 4 + 120) * 1.3)))
        return True

    def end_bulk(self) -> None:
        """Build the indexes (again) after a bulk load, with enough memory to build them in one pass."""
        import psycopg

        try:
            with self.conn.transaction():
                self.conn.execute(f"set local maintenance_work_mem = '{self._bulk_memory // 1024}kB'")
                self.conn.execute(TEXT_INDEX_SQL)
                self.conn.execute(hnsw_index_sql(self._model, self._dimensions))
        except psycopg.Error as exc:
            raise TargetError(f"building the search index on {self.label} failed: {self._scrub(exc)};"
                              " the next run builds it") from None

    def _ensure_staging(self, cur) -> None:
        if self._staging:
            return
        cur.execute("create temp table if not exists chatlake_incoming_embeddings"
                    " (like chatlake_embeddings including defaults) on commit delete rows")
        cur.execute("create temp table if not exists chatlake_incoming_messages"
                    " (like chatlake_messages) on commit delete rows")
        self._staging = True

    def _copy_embeddings(self, cur, table: str, model: str, rows: list[EmbeddingRow]) -> None:
        with cur.copy(f"copy {table} (content_hash, model, embedding, tokens, truncated) from stdin (format binary)",
                      writer=_whole_block_writer(cur)) as copy:
            # The vector travels in pgvector's binary format: the server decodes each field with
            # the column's receive function.
            copy.write(embedding_copy_data(model, rows))

    def push_embeddings(self, model: str, rows: list[EmbeddingRow]) -> int:
        """Insert vectors not already there, in one transaction; returns how many rows were new.

        The batch was checked against the table just before it was sent, so it goes straight in
        with one COPY; only when another run got there first (a unique violation) does it go
        through a temporary table and an upsert that skips what is there.
        """
        if not rows:
            return 0
        import psycopg

        try:
            with self.conn.transaction(), self.conn.cursor() as cur:
                try:
                    with self.conn.transaction():  # a savepoint: the fallback below runs in the same transaction
                        self._copy_embeddings(cur, "chatlake_embeddings", model, rows)
                    return len(rows)
                except psycopg.errors.UniqueViolation:
                    pass
                self._ensure_staging(cur)
                self._copy_embeddings(cur, "chatlake_incoming_embeddings", model, rows)
                cur.execute(
                    "insert into chatlake_embeddings (content_hash, model, embedding, tokens, truncated)"
                    " select content_hash, model, embedding, tokens, truncated from chatlake_incoming_embeddings"
                    " on conflict (content_hash, model) do nothing"
                )
                return cur.rowcount
        except psycopg.Error as exc:
            raise TargetError(f"writing vectors to {self.label} failed: {self._scrub(exc)}") from None

    def _copy_messages(self, cur, table: str, rows: list[tuple]) -> None:
        with cur.copy(f"copy {table} ({', '.join(MESSAGE_COLUMNS)}) from stdin (format binary)") as copy:
            copy.set_types(["text", "text", "int8", "timestamptz", "text", "text", "text", "text", "text", "text",
                            "text"])
            for row in rows:
                copy.write_row(row)

    def _drop_unscoped(self, cur, rows: list[tuple]) -> None:
        """Remove the copies of these messages pushed before rows carried a warehouse id ('')."""
        if self._unscoped is None:  # asked once: most stores never held such rows
            self._unscoped = cur.execute(
                "select exists (select 1 from chatlake_messages where warehouse_id = '')").fetchone()[0]
        if self._unscoped:
            uuid_at = MESSAGE_COLUMNS.index("message_uuid")
            cur.execute("delete from chatlake_messages where warehouse_id = '' and message_uuid = any(%s)",
                        [[row[uuid_at] for row in rows]])

    def push_messages(self, rows: list[tuple]) -> int:
        """Upsert message rows (MESSAGE_COLUMNS); returns how many were written.

        New rows (a first load) go straight in with one COPY; when some are there already
        (a unique violation), all go through a temporary table and an upsert.
        """
        if not rows:
            return 0
        import psycopg

        columns = ", ".join(MESSAGE_COLUMNS)
        key = ("warehouse_id", "message_uuid")
        updates = ", ".join(f"{c} = excluded.{c}" for c in MESSAGE_COLUMNS if c not in key)
        try:
            with self.conn.transaction(), self.conn.cursor() as cur:
                self._drop_unscoped(cur, rows)
                try:
                    with self.conn.transaction():  # a savepoint, as in push_embeddings
                        self._copy_messages(cur, "chatlake_messages", rows)
                    return len(rows)
                except psycopg.errors.UniqueViolation:
                    pass
                self._ensure_staging(cur)
                self._copy_messages(cur, "chatlake_incoming_messages", rows)
                cur.execute(
                    f"insert into chatlake_messages ({columns}) select {columns} from chatlake_incoming_messages"
                    f" on conflict ({', '.join(key)}) do update set {updates}"
                )
                return cur.rowcount
        except psycopg.Error as exc:
            raise TargetError(f"writing messages to {self.label} failed: {self._scrub(exc)}") from None

    def search(self, query: VectorQuery) -> list[dict] | None:
        """Rows of chatlake_search_messages; None when the store holds no vectors of the model yet."""
        import psycopg
        from psycopg.rows import dict_row

        args = query.arguments()
        ef = min(MAX_EF_SEARCH, max(40, query.k * 4))
        try:
            with self.conn.transaction():
                table, function = self.conn.execute(
                    "select to_regclass('chatlake_embeddings') is not null, to_regprocedure(%s) is not null,"
                    " set_config('hnsw.ef_search', %s, false)", [SEARCH_FUNCTION, str(ef)]).fetchone()[:2]
                if not table:
                    return None
                if not function:
                    stale = self.conn.execute(
                        "select not exists (select 1 from pg_attribute where attname = 'warehouse_id'"
                        " and attrelid = 'chatlake_messages'::regclass)").fetchone()[0]
                    if stale:
                        raise TargetError("the vector store predates warehouse ids; run `chatlake embed` to update it")
                    self.conn.execute(schema_sql(0))  # a store made before the search function shipped
            with self.conn.transaction(), self.conn.cursor(row_factory=dict_row) as cur:
                names = ", ".join(f"{name} => %({name})s{'::vector' if name == 'query_embedding' else ''}"
                                  for name in args)
                cur.execute(f"select * from chatlake_search_messages({names})", args)
                rows = cur.fetchall()
                if not rows and not cur.execute(
                        "select exists (select 1 from chatlake_embeddings where model = %s) as e",
                        [query.model]).fetchone()["e"]:
                    return None
                return rows
        except psycopg.Error as exc:
            raise TargetError(f"searching {self.label} failed: {self._scrub(exc)}") from None

    def sibling(self) -> "PostgresTarget":
        return PostgresTarget(self._dsn, self.label, secret=self._secret)

    def close(self) -> None:
        self.conn.close()


