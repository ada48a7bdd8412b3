"""Vectors into Postgres by binary COPY: pgvector's wire format, a whole batch as one buffer, and the
one private part of psycopg chatlake uses (its COPY generator, to hand libpq the whole buffer).

psycopg is pinned below 4 in pyproject.toml for it; tests/test_private_uses.py fails loudly when an
upgrade moves it, and the writer falls back to psycopg's own when the part is gone.
"""

from __future__ import annotations

import struct
import sys
from array import array

from chatlake.vectorstore.base import EmbeddingRow

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

        try:
            from psycopg.generators import copy_to
        except ImportError:  # moved by an upgrade: psycopg's own writer, slower on a busy process
            _writer_class = LibpqWriter
            return _writer_class(cursor)

        class WholeBlockWriter(LibpqWriter):
            def write(self, data) -> None:
                view = memoryview(data)
                for start in range(0, len(view), COPY_BLOCK):
                    self.connection.wait(copy_to(self._pgconn, view[start:start + COPY_BLOCK]))

        _writer_class = WholeBlockWriter
    return _writer_class(cursor)


