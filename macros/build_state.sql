{#- The `build` schema: the transform stage's own state (which load each incremental mart has
    absorbed, which project the warehouse was last built with). Made before any node runs, in
    every dbt invocation (on-run-start); a warehouse of an earlier release kept both tables in
    `raw`, where the extractor owns everything else: their rows move here once. -#}

{% macro create_build_state() %}
    create schema if not exists build;
    create table if not exists build.model_watermarks (
        model varchar primary key,
        load_id bigint not null,
        built_at timestamptz not null
    );
    create table if not exists build.project_builds (
        fingerprint varchar not null,
        built_at timestamptz not null
    );
    {%- for name in ['model_watermarks', 'project_builds'] %}
    {%- if execute and adapter.get_relation(database=target.database, schema='raw', identifier=name) %}
    insert {{ 'or ignore ' if name == 'model_watermarks' else '' }}into build.{{ name }} select * from raw.{{ name }};
    drop table raw.{{ name }};
    {%- endif %}
    {%- endfor %}
{% endmacro %}
