-- Search over chatlake's vector store: a full-text column and one function for hybrid and vector search.
-- Applied idempotently after schema.sql. Functions run as the caller (security invoker), so row level
-- security on chatlake_messages and chatlake_embeddings applies to whoever searches.

select pg_advisory_xact_lock(hashtext('chatlake search schema'));

-- English stemming lets "failing tests" find "the test fails"; the parser keeps file names
-- (parser.py) and codes (E4711) as single tokens, so exact identifiers match too.
alter table chatlake_messages
    add column if not exists content_tsv tsvector
    generated always as (to_tsvector('english', content)) stored;

create index if not exists chatlake_messages_content_tsv_idx on chatlake_messages using gin (content_tsv);

-- Reciprocal rank fusion of full-text rank and cosine distance (as in Supabase's hybrid search guide),
-- one row per message of a warehouse. full_text_weight = 0 gives vector search alone. The vector candidates
-- come from an inner query ordered by the distance operator with a limit, so the HNSW index serves it;
-- filters apply to those candidates. A tie in the fused score goes to the better full-text rank: an
-- exact word is stronger evidence than a near vector. filter_warehouse keeps one warehouse's rows
-- (null: all of them); filter_sources the messages of these apps (claude_code, codex, ...), and
-- the vector candidates are drawn from those apps' messages alone, so a rare app still fills the
-- answer. The signatures before filter_warehouse and filter_sources are dropped: named calls
-- would match them as well.
drop function if exists chatlake_search_messages(text, vector, integer, text, text[], text, timestamptz, timestamptz,
    double precision, double precision, integer);
drop function if exists chatlake_search_messages(text, vector, integer, text, text[], text, timestamptz, timestamptz,
    double precision, double precision, integer, text);

create or replace function chatlake_search_messages(
    query_text text,
    query_embedding vector,
    match_count integer default 10,
    filter_model text default null,
    filter_kinds text[] default null,
    filter_project text default null,
    created_after timestamptz default null,
    created_before timestamptz default null,
    full_text_weight double precision default 1,
    semantic_weight double precision default 1,
    rrf_k integer default 50,
    filter_warehouse text default null,
    filter_sources text[] default null
)
returns table (
    message_uuid text,
    session_id text,
    message_index bigint,
    created_at timestamptz,
    kind text,
    content text,
    content_hash text,
    project_path text,
    git_branch text,
    source text,
    warehouse_id text,
    similarity double precision,
    full_text_rank bigint,
    semantic_rank bigint,
    score double precision
)
language sql stable security invoker
as $$
    -- not materialized: each use is planned with its own indexes (GIN, content_hash).
    with filtered as not materialized (
        select m.*
        from chatlake_messages m
        where (filter_warehouse is null or m.warehouse_id = filter_warehouse)
          and (filter_sources is null or m.source = any(filter_sources))
          and (filter_kinds is null or m.kind = any(filter_kinds))
          and (filter_project is null or m.project_path = filter_project
               -- the last folders of the path, compared as text: `%` or `_` in a name are letters
               or right(m.project_path, length(filter_project) + 1) = '/' || filter_project)
          and (created_after is null or m.created_at >= created_after)
          and (created_before is null or m.created_at < created_before)
    ),
    full_text as (
        select f.warehouse_id, f.message_uuid,
               rank() over (order by ts_rank_cd(f.content_tsv, websearch_to_tsquery('english', query_text)) desc)
                   as rank_ix
        from filtered f
        where full_text_weight > 0
          and f.content_tsv @@ websearch_to_tsquery('english', query_text)
        order by rank_ix
        limit greatest(match_count, 1) * 4
    ),
    nearest as (
        -- through the model's own HNSW index (chatlake_nearest in schema.sql); vectors are shared by
        -- warehouses holding the same text, so one warehouse's candidates come from its hashes
        select n.content_hash, n.distance
        from chatlake_nearest(query_embedding, filter_model,
                              case when semantic_weight > 0 then greatest(match_count, 1) * 4 else 0 end,
                              filter_warehouse, filter_sources) n
    ),
    semantic as (
        select f.warehouse_id, f.message_uuid, rank() over (order by n.distance) as rank_ix
        from nearest n
        join filtered f on f.content_hash = n.content_hash
    ),
    fused as (
        select coalesce(ft.warehouse_id, s.warehouse_id) as warehouse_id,
               coalesce(ft.message_uuid, s.message_uuid) as message_uuid,
               ft.rank_ix as full_text_rank,
               s.rank_ix as semantic_rank,
               coalesce(full_text_weight / (rrf_k + ft.rank_ix), 0)
                   + coalesce(semantic_weight / (rrf_k + s.rank_ix), 0) as score
        from full_text ft
        full outer join semantic s on s.warehouse_id = ft.warehouse_id and s.message_uuid = ft.message_uuid
    )
    select
        m.message_uuid, m.session_id, m.message_index, m.created_at, m.kind, m.content, m.content_hash,
        m.project_path, m.git_branch, m.source, m.warehouse_id,
        (select 1 - min(e.embedding <=> query_embedding)
         from chatlake_embeddings e
         where e.content_hash = m.content_hash
           and (filter_model is null or e.model = filter_model)
           and vector_dims(e.embedding) = vector_dims(query_embedding)) as similarity,
        fu.full_text_rank, fu.semantic_rank, fu.score
    from fused fu
    join chatlake_messages m on m.warehouse_id = fu.warehouse_id and m.message_uuid = fu.message_uuid
    where fu.score > 0
    order by fu.score desc, fu.full_text_rank nulls last, fu.semantic_rank nulls last,
             m.created_at desc, m.message_uuid
    limit match_count
$$;

revoke all on function chatlake_search_messages(text, vector, integer, text, text[], text, timestamptz, timestamptz,
    double precision, double precision, integer, text, text[]) from public;

do $$
begin
    if exists (select 1 from pg_roles where rolname = 'service_role') then
        grant execute on function chatlake_search_messages(text, vector, integer, text, text[], text, timestamptz,
            timestamptz, double precision, double precision, integer, text, text[]) to service_role;
    end if;
end
$$;
