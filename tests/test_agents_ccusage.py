"""Codex CLI and Gemini CLI usage per day and model against ccusage 20's own reports of the same
files (`ccusage codex daily`, `ccusage gemini daily`), when its binary is there ($CCUSAGE_BIN or
`ccusage` on PATH). Where chatlake counts otherwise, on purpose, the test says so (README, usage)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from chatlake.example.agents import CodexGenerator, GeminiGenerator
from chatlake.pipeline import import_transcripts
from helpers import query
from test_usage_marts import ccusage_binary

pytestmark = pytest.mark.skipif(ccusage_binary() is None,
                                reason="the ccusage 20 binary is absent (set CCUSAGE_BIN or put ccusage on PATH)")


def _ccusage(tool: str, env: dict) -> dict:
    out = subprocess.run([ccusage_binary(), tool, "daily", "--json", "--offline", "--timezone", "UTC"],
                         env={**os.environ, **env}, capture_output=True, text=True, check=True, timeout=300)
    return json.loads(out.stdout)


def _usage_daily(db, source: str) -> dict:
    rows = query(db, "select usage_date::varchar, model, sum(input_tokens), sum(cache_read_tokens), sum(output_tokens),"
                     " sum(total_tokens), sum(cost_usd) from usage_daily where source = ? group by all", [source])
    return {(day, model): rest for day, model, *rest in rows}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("agents-ccusage")
    # repeated snapshots, a fork and a sub-agent (g3), rewinds and rewritten messages (jsonl)
    CodexGenerator(root / "codex", seed=41).write_tree(sessions=9, prompts=4)
    GeminiGenerator(root / "gemini" / "tmp", seed=42).write_tree(sessions=6, prompts=3)
    db = root / "wh" / "chatlake.duckdb"
    previous = os.environ.get("CHATLAKE_TIMEZONE")
    os.environ["CHATLAKE_TIMEZONE"] = "UTC"  # ccusage's days below are UTC days
    try:
        result = import_transcripts([root / "codex" / "sessions", root / "gemini" / "tmp"], db)
    finally:
        if previous is None:
            os.environ.pop("CHATLAKE_TIMEZONE")
        else:
            os.environ["CHATLAKE_TIMEZONE"] = previous
    assert result.ok, result.failures + result.test_failures
    return root, db


def test_codex_tokens_per_day_and_model_are_ccusages(warehouse):
    root, db = warehouse
    report = _ccusage("codex", {"CODEX_HOME": str(root / "codex")})
    theirs = {(day["date"], model): (m["inputTokens"], m["cacheReadTokens"], m["outputTokens"], m["totalTokens"])
              for day in report["daily"] for model, m in day["models"].items()}
    ours = {key: tuple(row[:4]) for key, row in _usage_daily(db, "codex").items()}
    assert len(ours) > 3
    assert ours == theirs


def test_gemini_tokens_and_cost_per_day_and_model_are_ccusages(warehouse):
    root, db = warehouse
    report = _ccusage("gemini", {"GEMINI_DATA_DIR": str(root / "gemini" / "tmp")})
    ours = _usage_daily(db, "gemini_cli")
    theirs = {(day["date"], m["modelName"]): (m["inputTokens"], m["cacheReadTokens"], round(m["cost"], 9))
              for day in report["daily"] for m in day["modelBreakdowns"]}
    assert len(ours) > 3
    assert {key: (i, c, round(cost, 9)) for key, (i, c, _, _, cost) in ours.items()} == theirs
    # ccusage's outputTokens leave the thoughts out (it reports them apart); chatlake's output
    # includes them, as Codex's does, so a day's total is the same
    for day in report["daily"]:
        assert day["totalTokens"] == sum(row[3] for key, row in ours.items() if key[0] == day["date"])
        assert day["outputTokens"] < sum(row[2] for key, row in ours.items() if key[0] == day["date"])
