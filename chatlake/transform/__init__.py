"""The transform stage: dbt over the warehouse (the runner, its forked child, the dbt-duckdb plugin, the user's project copy)."""
