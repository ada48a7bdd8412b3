{#- The word rules of the offline search, stored in the warehouse as DuckDB macros so that the
    index (message_terms) and `chatlake search --text` split, drop and stem words with the very
    same SQL: the query's words go through main.fts_terms on the search's read-only connection. -#}

{% macro create_word_macros() -%}
    {#- The English stop words of Postgres' `english` configuration (snowball's list), so that the
        offline search and the hybrid one ignore the same words. -#}
    create or replace macro {{ this.schema }}.fts_stop_words() as [
        'i', 'me', 'my', 'myself', 'we', 'our', 'ours', 'ourselves', 'you', 'your', 'yours',
        'yourself', 'yourselves', 'he', 'him', 'his', 'himself', 'she', 'her', 'hers', 'herself',
        'it', 'its', 'itself', 'they', 'them', 'their', 'theirs', 'themselves', 'what', 'which',
        'who', 'whom', 'this', 'that', 'these', 'those', 'am', 'is', 'are', 'was', 'were', 'be',
        'been', 'being', 'have', 'has', 'had', 'having', 'do', 'does', 'did', 'doing', 'a', 'an',
        'the', 'and', 'but', 'if', 'or', 'because', 'as', 'until', 'while', 'of', 'at', 'by',
        'for', 'with', 'about', 'against', 'between', 'into', 'through', 'during', 'before',
        'after', 'above', 'below', 'to', 'from', 'up', 'down', 'in', 'out', 'on', 'off', 'over',
        'under', 'again', 'further', 'then', 'once', 'here', 'there', 'when', 'where', 'why',
        'how', 'all', 'any', 'both', 'each', 'few', 'more', 'most', 'other', 'some', 'such', 'no',
        'nor', 'not', 'only', 'own', 'same', 'so', 'than', 'too', 'very', 's', 't', 'can', 'will',
        'just', 'don', 'should', 'now'
    ];
    {#- A light suffix stripper, not Porter: plurals, -ed and -ing, with a doubled final
        consonant undone (running -> run). Only plain a-z words are stemmed; a stem keeps a
        vowel and three letters, so `string`, `need` and `bus` stay whole. -#}
    create or replace macro {{ this.schema }}.fts_undouble(s) as
        case when regexp_matches(s, '(bb|dd|ff|gg|mm|nn|pp|rr|tt)$') then left(s, length(s) - 1) else s end;
    create or replace macro {{ this.schema }}.fts_stem(w) as
        case
            when length(w) < 4 or not regexp_matches(w, '^[a-z]+$') then w
            when regexp_matches(w, '(ss|us|is)$') then w
            when regexp_matches(w, '..ies$') then left(w, length(w) - 3) || 'y'
            when regexp_matches(w, '(sses|xes|ches|shes|zzes)$') then left(w, length(w) - 2)
            when regexp_matches(w, '[^s]s$') then left(w, length(w) - 1)
            when regexp_matches(w, 'eed$') then w
            when w like '%ing' and length(w) >= 6 and regexp_matches(left(w, length(w) - 3), '[aeiouy]')
                then {{ this.schema }}.fts_undouble(left(w, length(w) - 3))
            when w like '%ed' and length(w) >= 5 and regexp_matches(left(w, length(w) - 2), '[aeiouy]')
                then {{ this.schema }}.fts_undouble(left(w, length(w) - 2))
            else w
        end;
    {#- Words are runs of letters and digits (any script), lower-cased; longer than 60 characters
        they are base64 or hashes from a paste, which nobody types into a search. -#}
    create or replace macro {{ this.schema }}.fts_words(text) as
        list_filter(regexp_split_to_array(lower(text), '[^\p{L}\p{N}]+'), lambda w: length(w) between 1 and 60);
    create or replace macro {{ this.schema }}.fts_is_stop_word(w) as list_contains({{ this.schema }}.fts_stop_words(), w);
    {#- What the search looks up for a text; message_terms applies the same steps, stemming each
        distinct word once. -#}
    create or replace macro {{ this.schema }}.fts_terms(text) as
        list_transform(
            list_filter({{ this.schema }}.fts_words(text), lambda w: not {{ this.schema }}.fts_is_stop_word(w)),
            lambda w: {{ this.schema }}.fts_stem(w)
        )
{%- endmacro %}

{% macro prune_reindexed_sessions() -%}
    {#- Every row of a session being recomputed: its messages may have changed, left it or gone. -#}
    {% if is_incremental() %}
    delete from {{ this }} where session_id in ({{ affected_sessions() }})
    {% else %}
    select 1
    {% endif %}
{%- endmacro %}
