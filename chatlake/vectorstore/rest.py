"""Supabase's REST API (PostgREST), for a project whose database URL is not at hand."""

from __future__ import annotations

from datetime import datetime

from chatlake.vectorstore.base import (MESSAGE_COLUMNS, EmbeddingRow, TargetError, VectorQuery, dimensions_refused,
                                       pgvector_text)

# Supabase advises batches of at most this many rows through its REST API.
REST_CHUNK = 500


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

    def search(self, query: VectorQuery) -> list[dict] | None:
        """The same function through RPC; the schema is applied from the SQL editor, never from here."""
        return self._call("searching", self.client.rpc("chatlake_search_messages", query.arguments())).data or []

    def sibling(self) -> "RestTarget":
        return RestTarget(self._url, self._key, self.label)

    def close(self) -> None:
        pass


