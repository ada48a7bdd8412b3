{#- A table that keeps whole records' JSON (int_gemini_cli_messages_replayed) is written with
    zstd, as the extractor writes the raw lines: DuckDB's own choice for long strings (it tries
    dictionary and FSST on each segment first) took 13.8 s of the 1 GiB Gemini tree's build for
    that one table, and zstd 6.5 s (BENCHMARKS.md). Set before the model's statement, reset after
    it: the other tables keep DuckDB's choice (dictionaries for keys and names). -#}
{% macro zstd_strings() -%}
    set force_compression = 'zstd'
{%- endmacro %}

{% macro default_compression() -%}
    reset force_compression
{%- endmacro %}
