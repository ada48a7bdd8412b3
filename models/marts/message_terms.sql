-- depends_on: {{ ref('stg_claude_code__touched_sessions') }}
-- depends_on: {{ ref('stg_build__model_watermarks') }}
-- depends_on: {{ ref('stg_claude_code__lines') }}
-- depends_on: {{ ref('stg_exports__messages') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='session_id',
        pre_hook=["{{ create_word_macros() }}", "{{ prune_reindexed_sessions() }}"],
        post_hook="{{ record_watermark() }}",
    )
}}

{#- The word index of `chatlake search --text`: one row per message and word (stop words
    dropped, stemmed by main.fts_terms). Incremental like human_messages: the sessions whose
    lines changed are indexed again. -#}

with messages as (
    select message_uuid, session_id, content
    from {{ ref('human_messages') }}
    {% if is_incremental() %}
    where session_id in ({{ affected_sessions() }})
    {% endif %}
),

words as (
    select message_uuid, session_id, unnest({{ this.schema }}.fts_words(content)) as word
    from messages
),

counted_words as (
    select message_uuid, session_id, word, count(*) as word_count
    from words
    group by message_uuid, session_id, word
),

{#- Stemming costs a few regular expressions: once per distinct word, not per occurrence. -#}
vocabulary as (
    select word, {{ this.schema }}.fts_stem(word) as term
    from (select distinct word from counted_words)
    where not {{ this.schema }}.fts_is_stop_word(word)
),

counted as (
    select counted_words.message_uuid, counted_words.session_id, vocabulary.term,
           sum(counted_words.word_count)::integer as term_count
    from counted_words
    join vocabulary on vocabulary.word = counted_words.word
    group by counted_words.message_uuid, counted_words.session_id, vocabulary.term
),

final as (
    select
        message_uuid,
        session_id,
        term,
        term_count,
        sum(term_count) over (partition by message_uuid)::integer as message_length
    from counted
)

{#- Stored in term order, so that a search reads only the row groups whose range of terms holds
    its words (DuckDB's min/max per row group): 30 times fewer reads at 7 million rows. An
    import's increment is appended in term order too, in row groups of its own. -#}
select * from final
order by term
