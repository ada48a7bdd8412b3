-- chatlake's vector store: messages, one vector per distinct text and model, and the search function.
-- Applied idempotently by `chatlake embed --init` and before every run. With only Supabase's REST keys,
-- print it with `chatlake embed --print-schema` and run it once in the project's SQL editor.
-- Vectors of several models (and sizes) live side by side, keyed by (content_hash, model); one model
-- has one size. An HNSW index needs a fixed size, so each model gets a partial index of its own on
-- embedding::vector(size), made by the embed step (the end of `chatlake embed --print-schema`).

select pg_advisory_xact_lock(hashtext('chatlake embed schema'));

create extension if not exists vector;

-- Several warehouses can share one store (a team's Supabase): a row belongs to the warehouse that
-- pushed it (embed.warehouse in its DuckDB file), and a search reads its own warehouse's rows.
create table if not exists chatlake_messages (
    warehouse_id text not null default '',
    message_uuid text not null,
    session_id text not null,
    message_index bigint,
    created_at timestamptz,
    kind text not null,
    content text not null,          -- redacted unless --no-redact
    content_hash text not null,     -- sha256 of the original content: the key of chatlake_embeddings
    project_path text,
    git_branch text,
    source text,                    -- claude_code, chatgpt or claude_ai
    primary key (warehouse_id, message_uuid)
);

-- A store made before warehouses were told apart: its rows keep the id '' (seen only with
-- --all-warehouses) until their warehouse's next `chatlake embed` pushes them again with its id,
-- which the changed message fingerprint makes it do.
alter table chatlake_messages add column if not exists source text;
alter table chatlake_messages add column if not exists warehouse_id text not null default '';
do $$
begin
    if exists (select 1 from pg_constraint where conrelid = 'chatlake_messages'::regclass
               and contype = 'p' and cardinality(conkey) = 1) then
        alter table chatlake_messages drop constraint chatlake_messages_pkey,
            add primary key (warehouse_id, message_uuid);
    end if;
end $$;

create index if not exists chatlake_messages_content_hash_idx on chatlake_messages (content_hash);

create table if not exists chatlake_embeddings (
    content_hash text not null,
    model text not null,
    embedding vector not null,
    tokens integer,
    truncated boolean not null default false,
    embedded_at timestamptz not null default now(),
    primary key (content_hash, model)
);

-- A row up to a page long stays in the table instead of going to TOAST in ~2 kB slices (a
-- 1536-float vector is 6 kB): a bulk load writes and indexes a quarter of the tuples. Set once,
-- only when missing (the ALTER would wait for an index build under way).
do $$
begin
    if not exists (select 1 from pg_class where oid = 'chatlake_embeddings'::regclass
                   and 'toast_tuple_target=8160' = any(coalesce(reloptions, '{}'))) then
        alter table chatlake_embeddings set (toast_tuple_target = 8160);
    end if;
end $$;

-- A store made when the column had one fixed size: its index over the whole column goes (the
-- per-model index replaces it) and the column takes vectors of any size.
do $$
begin
    if (select atttypmod from pg_attribute
        where attrelid = 'chatlake_embeddings'::regclass and attname = 'embedding') > 0 then
        drop index if exists chatlake_embeddings_embedding_hnsw_idx;
        alter table chatlake_embeddings alter column embedding type vector;
    end if;
end $$;

-- The nearest vectors of one model, through that model's HNSW index: the index is on a cast to
-- its size and limited to its model, so the query names both as constants (dynamic SQL). The
-- candidates of one warehouse, or of some apps' messages, when given, come from those messages'
-- hashes. The signature before filter_sources goes: a call of three or four arguments would match both.
drop function if exists chatlake_nearest(vector, text, integer, text);
create or replace function chatlake_nearest(
    query_embedding vector,
    filter_model text,
    match_count integer,
    filter_warehouse text default null,
    filter_sources text[] default null
)
returns table (content_hash text, model text, distance double precision)
language plpgsql stable security invoker
as $$
begin
    return query execute format(
        'select e.content_hash, e.model, e.embedding::vector(%1$s) <=> $1::vector(%1$s) as distance'
        ' from chatlake_embeddings e'
        ' where %2$s and (($2::text is null and $4::text[] is null) or exists (select 1 from chatlake_messages w'
        '       where w.content_hash = e.content_hash and ($2::text is null or w.warehouse_id = $2)'
        '         and ($4::text[] is null or w.source = any($4))))'
        ' order by e.embedding::vector(%1$s) <=> $1::vector(%1$s) limit $3',
        vector_dims(query_embedding),
        case when filter_model is null then format('vector_dims(e.embedding) = %s', vector_dims(query_embedding))
             else format('e.model = %L', filter_model) end)
    using query_embedding, filter_warehouse, match_count, filter_sources;
end
$$;

-- Transcripts are private: no policy means no row for any role that does not bypass RLS,
-- and Supabase's anon and authenticated roles lose the grants its defaults give them.
alter table chatlake_messages enable row level security;
alter table chatlake_embeddings enable row level security;
revoke all on table chatlake_messages, chatlake_embeddings from public;

do $$
declare
    role_name text;
begin
    foreach role_name in array array['anon', 'authenticated'] loop
        if exists (select 1 from pg_roles where rolname = role_name) then
            execute format('revoke all on table chatlake_messages, chatlake_embeddings from %I', role_name);
        end if;
    end loop;
    if exists (select 1 from pg_roles where rolname = 'service_role') then
        grant select, insert, update, delete on table chatlake_messages, chatlake_embeddings to service_role;
    end if;
end
$$;

-- Searches go through one function, chatlake_search_messages (search.sql); the vector-only
-- match_messages of earlier releases filtered projects another way and goes.
drop function if exists match_messages(vector, integer, text, text[], text, text, timestamptz, timestamptz);

-- Which of these hashes already have a vector for this model: the REST path's pre-check
-- (a POST body, so a batch of hashes never hits a URL length limit).
create or replace function chatlake_existing_hashes(p_model text, p_hashes text[])
returns setof text
language sql stable
as $$
    select content_hash from chatlake_embeddings where model = p_model and content_hash = any(p_hashes)
$$;

-- The size of a model's vectors in the store (null: none yet), so a client can refuse a mismatched
-- --dimensions. The version without a model answered for the whole column: it goes.
drop function if exists chatlake_embedding_dimensions();
create or replace function chatlake_embedding_dimensions(p_model text)
returns integer
language sql stable
as $$
    select vector_dims(embedding) from chatlake_embeddings where model = p_model limit 1
$$;

revoke all on function chatlake_existing_hashes(text, text[]) from public;
revoke all on function chatlake_embedding_dimensions(text) from public;
revoke all on function chatlake_nearest(vector, text, integer, text, text[]) from public;

do $$
begin
    if exists (select 1 from pg_roles where rolname = 'service_role') then
        grant execute on function chatlake_existing_hashes(text, text[]), chatlake_embedding_dimensions(text),
            chatlake_nearest(vector, text, integer, text, text[]) to service_role;
    end if;
end
$$;
