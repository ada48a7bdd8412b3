"""Find messages: hybrid or vector search in the pgvector target, or word search in the DuckDB marts.

A query of any shape only ever travels as a bound parameter.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time as dtime, timedelta, timezone


from chatlake.core.kinds import MESSAGE_KINDS as KINDS
from chatlake.core.settings import resolve
from chatlake.core.db import connect, table_exists
from chatlake.core.errors import ChatlakeError, UsageError
from chatlake.core.sources import parse_sources

MODES = ("hybrid", "semantic", "text")
_EDGE = ".,;:!?\"'`()[]{}<>"


class SearchError(ChatlakeError):
    """A search that cannot run as asked (bad filter, unreachable target)."""


class SearchUsageError(SearchError, UsageError):
    """Flags that contradict each other: a usage error (exit 2), not a failed search."""


@dataclass(frozen=True)
class Filters:
    """What a hit must be: project (a path, or its last folder name), time window, kinds, sources."""

    project: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    kinds: tuple[str, ...] | None = None
    sources: tuple[str, ...] | None = None  # the marts' `source`: claude_code, codex, ...


@dataclass
class Hit:
    message_uuid: str
    session_id: str
    created_at: datetime | None
    kind: str
    content: str
    project_path: str | None
    git_branch: str | None
    similarity: float | None = None
    score: float | None = None
    matched_terms: int | None = None
    title: str | None = None
    snippet: str = ""
    source: str | None = None  # claude_code, codex, gemini_cli, chatgpt or claude_ai
    warehouse_id: str | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat() if self.created_at else None
        return data


@dataclass
class SearchResult:
    query: str
    mode: str
    hits: list[Hit] = field(default_factory=list)
    note: str | None = None
    model: str | None = None
    target: str | None = None
    by_session: bool = False

    def sessions(self) -> list[tuple[str, list[Hit]]]:
        """Hits grouped by session, sessions in the order of their best hit."""
        groups: dict[str, list[Hit]] = {}
        for hit in self.hits:
            groups.setdefault(hit.session_id, []).append(hit)
        return list(groups.items())

    def to_dict(self, by_session: bool | None = None) -> dict:
        by_session = self.by_session if by_session is None else by_session
        data = {"query": self.query, "mode": self.mode, "model": self.model, "target": self.target,
                "note": self.note}
        if by_session:
            data["sessions"] = [{"session_id": sid, "title": hits[0].title, "hits": [h.to_dict() for h in hits]}
                                for sid, hits in self.sessions()]
        else:
            data["hits"] = [h.to_dict() for h in self.hits]
        return data


# -- pure deciding functions ------------------------------------------------------------------------

def query_terms(query: str) -> list[str]:
    """Lower-case words of a query, punctuation trimmed from their ends, each once."""
    terms = (word.strip(_EDGE) for word in query.lower().split())
    return list(dict.fromkeys(t for t in terms if t))


def make_snippet(content: str, terms: list[str], width: int = 160) -> str:
    """One line of `content` around the first term found (its start when none is)."""
    flat = " ".join(content.split())
    lower = flat.lower()
    found = [i for i in (lower.find(t) for t in terms) if i >= 0]
    start = max(0, min(found) - width // 4) if found else 0
    if start and " " in flat[start:start + 20]:
        start = flat.index(" ", start) + 1
    piece = flat[start:start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(flat) else "")


def parse_when(value: str | None, end: bool = False) -> datetime | None:
    """`2026-03-01` or an ISO timestamp; a bare date as an end bound means the end of that day."""
    if not value:
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = date.fromisoformat(value) + timedelta(days=1 if end else 0)
            return datetime.combine(day, dtime(), tzinfo=timezone.utc)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SearchUsageError(f"{value!r} is not a date (YYYY-MM-DD) or an ISO timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def make_filters(project: str | None = None, since: str | None = None, until: str | None = None,
                 kinds: list[str] | None = None, sources: str | list[str] | None = None) -> Filters:
    chosen = tuple(dict.fromkeys(k.strip() for item in kinds or [] for k in item.split(",") if k.strip()))
    unknown = [k for k in chosen if k not in KINDS]
    if unknown:
        raise SearchUsageError(f"unknown kind {unknown[0]!r}; kinds are {', '.join(KINDS)}")
    start, end = parse_when(since), parse_when(until, end=True)
    if start and end and start >= end:
        raise SearchUsageError(f"--since {since} is after --until {until}: no message can match")
    return Filters(project.rstrip("/") if project else None, start, end, chosen or None, parse_sources(sources))


# -- word search in DuckDB ---------------------------------------------------------------------------

# BM25's usual constants: how fast repeating a word stops counting, how much length weighs.
BM25_K1 = 1.2
BM25_B = 0.75
_NOT_WORD = "[^\\p{L}\\p{N}]"  # RE2: what separates words, as in main.fts_terms


@dataclass(frozen=True)
class WordQuery:
    """A query as websearch_to_tsquery reads one: words, "quoted phrases", -excluded words and phrases."""

    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    excluded_phrases: tuple[str, ...] = ()


def parse_word_query(query: str) -> WordQuery:
    """Split a query into its parts; an unclosed quote runs to the end, a lone `-` is no exclusion."""
    parts: dict[str, list[str]] = {"words": [], "phrases": [], "excluded": [], "excluded_phrases": []}
    pos, text = 0, query.strip()
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        negated = text[pos] == "-" and pos + 1 < len(text) and not text[pos + 1].isspace()
        start = pos + 1 if negated else pos
        if text[start] == '"':
            close = text.find('"', start + 1)
            close = len(text) if close < 0 else close
            piece, pos = text[start + 1:close].strip(), close + 1
            key = "excluded_phrases" if negated else "phrases"
        else:
            end = start
            while end < len(text) and not text[end].isspace():
                end += 1
            piece, pos = text[start:end], end
            key = "excluded" if negated else "words"
        if piece and piece not in parts[key]:
            parts[key].append(piece)
    return WordQuery(**{key: tuple(value) for key, value in parts.items()})


def phrase_pattern(words: list[str]) -> str:
    """An RE2 pattern (case-insensitive) for these words in this order, whole, anything between but words."""
    return f"(?i)(^|{_NOT_WORD})" + f"{_NOT_WORD}+".join(words) + f"({_NOT_WORD}|$)"


class _Analysed:
    """A WordQuery's parts as the index sees them, split and stemmed by the warehouse's own macros."""

    def __init__(self, con, parsed: WordQuery):
        texts = [" ".join(parsed.words), *parsed.phrases, " ".join(parsed.excluded), *parsed.excluded_phrases]
        terms, split, stop = con.execute(
            "select list_transform(?::varchar[], lambda t: main.fts_terms(t)),"
            " list_transform(?::varchar[], lambda t: main.fts_words(t)), main.fts_stop_words()",
            [texts, texts]).fetchone()
        n = len(parsed.phrases)
        self.required = sorted({t for phrase in terms[1:1 + n] for t in phrase})
        self.terms = list(dict.fromkeys([*terms[0], *self.required]))
        self.excluded = list(terms[1 + n])
        self.phrases = [phrase_pattern(words) for words in split[1:1 + n] if words]
        self.excluded_phrases = [phrase_pattern(words) for words in split[2 + n:] if words]
        self.snippet_words = [w for words in split[:1 + n] for w in words if w not in stop]


def text_search(con, query: str, filters: Filters, k: int) -> list[Hit]:
    """Messages by BM25 over the word index: any word may match, a phrase must, an excluded one must not."""
    if not table_exists(con, "main", "human_messages"):  # a first build killed before the marts
        raise SearchError("the warehouse has no marts yet; run `chatlake import` to build them")
    if not table_exists(con, "main", "message_terms"):
        raise SearchError("the warehouse has no word index yet; run `chatlake import` to build it")
    words = _Analysed(con, parse_word_query(query))
    if not words.terms:  # only stop words: Postgres' websearch_to_tsquery matches nothing either
        return []
    checks, params = [], []
    if words.required:
        checks.append("list_has_all(s.found, ?::varchar[])")
        params.append(words.required)
    if words.excluded:
        checks.append("s.message_uuid not in (select message_uuid from main.message_terms"
                      " where term in (select unnest(?::varchar[])))")
        params.append(words.excluded)
    # A check on m.content alone would be pushed down to the scan of every message; naming
    # s.score keeps the regular expression on the candidates that hold the phrase's words.
    checks += ["(s.score is null or regexp_matches(m.content, ?))"] * len(words.phrases)
    checks += ["(s.score is null or not regexp_matches(m.content, ?))"] * len(words.excluded_phrases)
    params += [*words.phrases, *words.excluded_phrases]
    rows = con.execute(
            f"""
            with postings as (
                select message_uuid, term, term_count, message_length
                from main.message_terms
                where term in (select unnest(?::varchar[]))
            ),
            corpus as (
                select count(*) as documents,
                       (select coalesce(sum(term_count), 0) from main.message_terms) / greatest(count(*), 1)
                           as average_length
                from main.human_messages
            ),
            frequencies as (
                select term, count(*) as documents from postings group by term
            ),
            scored as (
                select p.message_uuid,
                       sum(ln(1 + (c.documents - f.documents + 0.5) / (f.documents + 0.5))
                           * p.term_count * ({BM25_K1} + 1)
                           / (p.term_count + {BM25_K1} * (1 - {BM25_B}
                              + {BM25_B} * p.message_length / greatest(c.average_length, 1)))) as score,
                       list(p.term) as found
                from postings p
                join frequencies f on f.term = p.term
                cross join corpus c
                group by p.message_uuid
            ),
            -- ranked without reading the messages' text (unless a phrase needs it), then the k read
            ranked as (
                select s.message_uuid, s.score, len(s.found) as matched_terms, m.created_at
                from scored s
                join main.human_messages m on m.message_uuid = s.message_uuid
                where (?::varchar is null or m.project_path = ? or ends_with(m.project_path, '/' || ?))
                  and (?::timestamptz is null or m.created_at >= ?)
                  and (?::timestamptz is null or m.created_at < ?)
                  and (?::varchar[] is null or list_contains(?, m.kind))
                  and (?::varchar[] is null or list_contains(?, m.source))
                  {"".join(f" and {check}" for check in checks)}
                order by s.score desc, m.created_at desc nulls last, s.message_uuid
                limit ?
            )
            select m.message_uuid, m.session_id, m.created_at, m.kind, m.content, m.project_path, m.git_branch,
                   r.matched_terms, r.score
            from ranked r
            join main.human_messages m on m.message_uuid = r.message_uuid
            order by r.score desc, r.created_at desc nulls last, r.message_uuid
            """,
            [words.terms, filters.project, filters.project, filters.project, filters.since, filters.since,
             filters.until, filters.until, list(filters.kinds) if filters.kinds else None,
             list(filters.kinds) if filters.kinds else None, _list(filters.sources), _list(filters.sources),
             *params, k],
    ).fetchall()
    return [Hit(*row[:7], matched_terms=row[7], score=row[8], snippet=make_snippet(row[4], words.snippet_words))
            for row in rows]


def _list(values: tuple[str, ...] | None) -> list[str] | None:
    return list(values) if values else None


def add_titles(con, hits: list[Hit]) -> None:
    """Session titles from the sessions mart (none without a warehouse connection)."""
    ids = sorted({h.session_id for h in hits})
    if not ids or con is None or not table_exists(con, "main", "sessions"):
        return
    titles = dict(con.execute("select session_id, title from main.sessions where list_contains(?, session_id)",
                              [ids]).fetchall())
    for hit in hits:
        hit.title = titles.get(hit.session_id)


def add_sources(con, hits: list[Hit]) -> None:
    """The app each hit comes from, from the warehouse, for hits whose store did not say."""
    ids = sorted({h.message_uuid for h in hits if h.source is None})
    if not ids or con is None or not table_exists(con, "main", "human_messages"):
        return
    sources = dict(con.execute("select message_uuid, any_value(source) from main.human_messages"
                               " where list_contains(?, message_uuid) group by all", [ids]).fetchall())
    for hit in hits:
        hit.source = hit.source or sources.get(hit.message_uuid)


# -- vector search in the target ---------------------------------------------------------------------


def stored_model(con, target: str) -> tuple[str, int] | None:
    """The model (and dimensions) with the most vectors pushed to `target`, from the embed ledger."""
    if con is None or not table_exists(con, "embed", "ledger"):
        return None
    row = con.execute("select model, dimensions from embed.ledger where target = ?"
                      " group by all order by count(*) desc, model limit 1", [target]).fetchone()
    return (row[0], row[1]) if row else None


def vector_query(query: str, vector: str, filters: Filters, k: int, model: str, semantic: bool,
                 warehouse_id: str | None = None):
    """What the store is asked: the filters as its search function takes them, the ranking asked for."""
    from chatlake.vectorstore import VectorQuery

    return VectorQuery(text=query, vector=vector, model=model, k=k, kinds=filters.kinds, project=filters.project,
                       since=filters.since.isoformat() if filters.since else None,
                       until=filters.until.isoformat() if filters.until else None,
                       sources=filters.sources, warehouse_id=warehouse_id, text_weight=0.0 if semantic else 1.0)


def _row_hit(row: dict, terms: list[str]) -> Hit:
    created = row["created_at"]
    if isinstance(created, str):
        created = datetime.fromisoformat(created.replace("Z", "+00:00"))
    return Hit(row["message_uuid"], row["session_id"], created, row["kind"], row["content"], row["project_path"],
               row["git_branch"], similarity=row["similarity"], score=row["score"],
               snippet=make_snippet(row["content"], terms), source=row.get("source"),
               warehouse_id=row.get("warehouse_id"))


_clients: dict = {}


def embed_query(cfg, text: str) -> str:
    """The query's vector (pgvector's text form), from the same provider and model as the stored ones."""
    from chatlake.embed.client import EmbeddingClient
    from chatlake.embed.errors import ApiError
    from chatlake.core.redact import redact
    from chatlake.vectorstore import pgvector_text

    sent = redact(text).text if cfg.redact else text
    if cfg not in _clients:
        _clients.clear()  # one configuration at a time: a long-lived caller keeps its connection pool
        _clients[cfg] = EmbeddingClient(cfg)
    try:
        return pgvector_text(_clients[cfg].embed_text(sent))
    except ApiError as exc:
        raise SearchError(str(exc).replace("the text", "the query")) from None


def search(
    query: str,
    *,
    db: str | os.PathLike | None = None,
    mode: str = "hybrid",
    k: int = 10,
    filters: Filters | None = None,
    target: str | None = None,
    model: str | None = None,
    dimensions: int | None = None,
    base_url: str | None = None,
    environ: dict[str, str] | None = None,
    all_warehouses: bool = False,
    project: str | None = None,
    since: str | None = None,
    until: str | None = None,
    kinds: list[str] | None = None,
    sources: str | list[str] | None = None,
    by_session: bool = False,
) -> SearchResult:
    """Search messages: `hybrid` (words and vectors fused), `semantic` (vectors) or `text` (DuckDB, offline).

    Vector modes answer from this warehouse's rows in the store; `all_warehouses` reads every
    warehouse that pushed to it. Filters come as `filters`, or as the flags' text (`project`,
    `since`, `until`, `kinds`, `sources`: a UsageError when one cannot be read). `by_session` keeps the
    hits of the k sessions whose best hits rank first (k * 5 messages are fetched for them).
    """
    if mode not in MODES:
        raise SearchError(f"unknown mode {mode!r}")
    if k < 1:
        raise SearchError("--k must be at least 1")
    settings = resolve(db=db, environ=environ, embed={"target": target, "model": model, "base_url": base_url})
    path = settings.db
    filters = filters or make_filters(project, since, until, kinds, sources)
    if by_session:
        wanted, k = k, k * 5
    if not query.strip():
        raise SearchError("the query is empty")
    result = SearchResult(query, mode)
    try:
        con = connect(path, read_only=True)
    except ChatlakeError:
        if mode == "text":
            raise
        con = None  # an import holds the file: vector search still works, without session titles
    try:
        if mode != "text":
            note = _vector_search(result, con, settings, filters, k, model, dimensions, environ, all_warehouses)
            if note:
                result.mode, result.note = "text", note
        if result.mode == "text":
            con = con or connect(path, read_only=True)  # raises the lock message when still held
            result.hits = text_search(con, query, filters, k)
        add_titles(con, result.hits)
        add_sources(con, result.hits)
    finally:
        if con is not None:
            con.close()
    if by_session:
        result.by_session = True
        result.hits = [h for _, hits in result.sessions()[:wanted] for h in hits]
    return result


def _vector_search(result: SearchResult, con, settings, filters: Filters, k: int, model: str | None,
                   dimensions: int | None, environ, all_warehouses: bool = False) -> str | None:
    """Fill `result` from the target; returns a note instead when it must fall back to word search."""
    from chatlake.embed.config import MODEL_DIMENSIONS, resolve_config, target_spec
    from chatlake.embed.ledger import read_warehouse_id
    from chatlake.vectorstore import open_target

    embed = settings.embed
    spec = target_spec(embed, settings.data_dir)
    if not embed.model_chosen:
        known = stored_model(con, spec.label)
        if known:
            model = known[0]
            dimensions = dimensions or (known[1] if known[1] != MODEL_DIMENSIONS.get(known[0]) else None)
    if spec.kind == "local" and not (spec.pgdata / "PG_VERSION").exists():
        return "no embeddings yet (run `chatlake embed`): searched words in the warehouse instead"
    scope = None
    if not all_warehouses:
        if con is None:
            raise SearchError("an import holds the warehouse, so which rows of the store are its own cannot be"
                              " read; wait for it, or pass --all-warehouses")
        scope = read_warehouse_id(con)
        if scope is None:
            return ("this warehouse has no embeddings yet (run `chatlake embed`): searched words in the"
                    " warehouse instead")
    if not (embed.base_url or embed.api_key):
        return "no $OPENAI_API_KEY to embed the query: searched words in the warehouse instead"
    cfg = resolve_config(db=settings.db, target=embed.target, model=model, dimensions=dimensions,
                         base_url=embed.base_url, environ=environ)
    result.model, result.target = cfg.model, spec.label
    store = open_target(spec)
    try:
        vector = embed_query(cfg, result.query)
        rows = store.search(vector_query(result.query, vector, filters, k, cfg.model, result.mode == "semantic", scope))
    except Exception as exc:
        if isinstance(exc, ChatlakeError):
            raise
        raise SearchError(f"searching {spec.label} failed: {' '.join(str(exc).split())[:200]}") from None
    finally:
        store.close()
    if rows is None:
        return f"no embeddings for {cfg.model} yet (run `chatlake embed`): searched words in the warehouse instead"
    terms = query_terms(result.query)
    result.hits = [_row_hit(row, terms) for row in rows]
    return None
