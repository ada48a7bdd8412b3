"""Warehouses holding a hand-written `main.assistant_responses`, for the usage reports' unit tests.

The table has the mart's columns that the reports read (the mart itself is built by dbt in
tests/test_usage_cli.py); each response is given as (ISO time, model, input, output, cost, ...).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

COLUMNS = """
    source varchar, session_id varchar, created_at timestamptz, model varchar, speed varchar,
    is_synthetic boolean, input_tokens bigint, output_tokens bigint, cache_creation_tokens bigint,
    cache_read_tokens bigint, cost_usd double, project_path varchar, source_file varchar
"""


def response(at: str, model: str = "claude-sonnet-4-5", input_tokens: int = 10, output_tokens: int = 20,
             cache_creation: int = 0, cache_read: int = 0, cost: float | None = 0.01, session: str = "s1",
             project: str = "/home/me/api", speed: str | None = None, source_file: str | None = None) -> dict:
    encoded = project.replace("/", "-")
    return {"source": "claude_code", "session_id": session, "created_at": at, "model": model, "speed": speed,
            "is_synthetic": model == "<synthetic>", "input_tokens": input_tokens, "output_tokens": output_tokens,
            "cache_creation_tokens": cache_creation, "cache_read_tokens": cache_read, "cost_usd": cost,
            "project_path": project,
            "source_file": source_file or f"/home/me/.claude/projects/{encoded}/{session}.jsonl"}


def warehouse(path: Path, responses: list[dict]) -> Path:
    con = duckdb.connect(str(path))
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"create table main.assistant_responses ({COLUMNS})")
    for r in responses:
        con.execute("insert into main.assistant_responses by name select * from (select unnest($r))", {"r": r})
    con.close()
    return path
