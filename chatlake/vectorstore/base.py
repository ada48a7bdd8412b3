"""What every vector store shares: the `Target` interface, the schema it applies, its index names."""

from __future__ import annotations

import hashlib
import re
from array import array
from dataclasses import dataclass
from importlib.resources import files
from typing import Protocol

from chatlake.core.errors import ChatlakeError


class TargetError(ChatlakeError):
    """The vector store cannot be reached, or its schema does not fit."""


# The columns of a message row in chatlake_messages, in the order rows are handed to push_messages.
MESSAGE_COLUMNS = ("message_uuid", "session_id", "message_index", "created_at", "kind", "content", "content_hash",
                   "project_path", "git_branch", "source", "warehouse_id")
# The one search function of search.sql, by its signature.
SEARCH_FUNCTION = ("chatlake_search_messages(text, vector, integer, text, text[], text, timestamptz, timestamptz,"
                   " double precision, double precision, integer, text, text[])")
# HNSW returns at most ef_search rows (pgvector's default 40); a search asks for k * 4 candidates.
MAX_EF_SEARCH = 1000

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
    package = files("chatlake.vectorstore")
    parts = [package.joinpath(name).read_text() for name in SCHEMA_FILES if package.joinpath(name).is_file()]
    if model:
        parts.append(f"-- The HNSW index of {model}'s vectors ({int(dimensions)} dimensions).\n"
                     f"{hnsw_index_sql(model, dimensions)};\n")
    return "\n".join(parts)


def dimensions_refused(label: str, model: str | None, in_place: int, dimensions: int) -> str:
    return (f"{label} holds {model} vectors of {in_place} dimensions and this run makes {dimensions};"
            f" pass --dimensions {in_place}, or remove them with `chatlake embed --reset --model {model}`")


def pgvector_text(vec: array) -> str:
    return "[" + ",".join("%.8g" % v for v in vec) + "]"


@dataclass(frozen=True)
class VectorQuery:
    """One search of the store: the query's text (for the word ranking), its vector, and the filters.

    `warehouse_id` scopes the search to one warehouse's rows (None: every warehouse that pushed);
    `sources` to the messages of those apps (None: all of them).
    `text_weight` 0 ranks by the vectors alone; 1 fuses word and vector ranks (hybrid).
    """

    text: str
    vector: str  # pgvector's text form
    model: str
    k: int = 10
    kinds: tuple[str, ...] | None = None
    project: str | None = None
    since: str | None = None  # ISO timestamps
    until: str | None = None
    warehouse_id: str | None = None
    sources: tuple[str, ...] | None = None
    text_weight: float = 1.0
    semantic_weight: float = 1.0
    rrf_k: int = 50

    def arguments(self) -> dict:
        """The named arguments of chatlake_search_messages.

        filter_sources is sent only when asked for: a Supabase project whose SQL editor last ran an
        older schema has no such argument, and still answers every search without one."""
        args = {
            "query_text": self.text, "query_embedding": self.vector, "match_count": self.k,
            "filter_model": self.model, "filter_kinds": list(self.kinds) if self.kinds else None,
            "filter_project": self.project, "created_after": self.since, "created_before": self.until,
            "full_text_weight": self.text_weight, "semantic_weight": self.semantic_weight, "rrf_k": self.rrf_k,
            "filter_warehouse": self.warehouse_id,
        }
        if self.sources:
            args["filter_sources"] = list(self.sources)
        return args


class Target(Protocol):
    label: str

    def prepare(self, dimensions: int, model: str | None = None) -> None: ...

    def reset(self, model: str) -> int: ...

    def existing(self, model: str, hashes: list[str]) -> set[str]: ...

    def push_messages(self, rows: list[tuple]) -> int: ...

    def push_embeddings(self, model: str, rows: list[EmbeddingRow]) -> int: ...

    def begin_bulk(self, rows: int, dimensions: int) -> bool: ...

    def end_bulk(self) -> None: ...

    def search(self, query: VectorQuery) -> list[dict] | None:
        """Rows of chatlake_search_messages (search.sql), best first; None when the store holds no
        vectors of the query's model yet."""
        ...

    def sibling(self) -> "Target":
        """Another connection to the same target, for a second thread."""
        ...

    def close(self) -> None: ...


