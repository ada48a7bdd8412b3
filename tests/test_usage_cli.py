"""`chatlake usage` on generated transcripts, imported by the real pipeline and dbt build, and
compared with the real ccusage 20 binary reading the same files (when it is installed).

ccusage 20.0.24 counts a sub-agent's replay of a parent response (same message.id, a new
requestId) in its weekly, monthly, session and blocks reports, and not in its daily report;
chatlake counts it in none (README, "Usage"). So the daily report is compared with ccusage's
daily report, and the other reports with ccusage's daily rows summed the same way.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chatlake.pipeline import import_transcripts
from chatlake.cli import app
from chatlake.example.transcripts import TranscriptGenerator

CCUSAGE = os.environ.get("CCUSAGE_BIN") or shutil.which("ccusage") or next(
    (str(p) for p in Path("/tmp").glob("*/node_modules/@ccusage/ccusage-linux-x64/bin/ccusage")
     if os.access(p, os.X_OK)), None)
needs_ccusage = pytest.mark.skipif(CCUSAGE is None, reason="ccusage 20 is not installed (npm i ccusage@20.0.24"
                                   " @ccusage/ccusage-linux-x64@20.0.24, or set CCUSAGE_BIN)")
TOKENS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens", "totalTokens")


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """A generated tree under `<config>/projects` (where ccusage looks), imported once."""
    base = tmp_path_factory.mktemp("usage")
    # every response with a requestId: without one, ccusage 20 counts each record of a response
    gen = TranscriptGenerator(base / "config" / "projects", seed=23, requestless=0.0)
    gen.write_tree(sessions=10, prompts=6)
    db = base / "chatlake.duckdb"
    summary = import_transcripts(roots=[base / "config" / "projects"], db=db)
    assert summary.ok
    return base / "config", db, gen.tree


def usage(db: Path, *args: str) -> dict:
    result = CliRunner().invoke(app, ["usage", *args, "--json", "--db", str(db), "--timezone", "UTC"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def ccusage(config: Path, *args: str) -> dict:
    env = {**os.environ, "CLAUDE_CONFIG_DIR": str(config), "TZ": "UTC"}
    proc = subprocess.run([CCUSAGE, "claude", *args, "--json", "--offline", "--timezone", "UTC"],
                          capture_output=True, text=True, env=env, check=True)
    return json.loads(proc.stdout)


def by_model(rows: list[dict], key: str) -> dict:
    return {(r[key], m["modelName"]): tuple(m[t] for t in TOKENS[:4]) for r in rows for m in r["modelBreakdowns"]}


def test_daily_counts_what_the_generator_wrote(imported):
    """Needs no ccusage: the generator records the tokens each response counts for."""
    _, db, tree = imported
    expected: dict = defaultdict(lambda: [0, 0, 0, 0])
    for r in tree.responses:
        if r.counted and not r.synthetic:
            row = expected[(r.created_at[:10], r.model)]
            for i, n in enumerate((r.input_tokens, r.output_tokens, r.cache_creation_tokens, r.cache_read_tokens)):
                row[i] += n
    got = usage(db, "daily")
    assert by_model(got["daily"], "date") == {k: tuple(v) for k, v in expected.items()}
    assert got["totals"]["totalTokens"] == sum(sum(v) for v in expected.values())
    assert got["totals"]["totalCost"] > 0


@needs_ccusage
def test_daily_json_is_ccusage_daily_json(imported):
    config, db, _ = imported
    ours, theirs = usage(db, "daily"), ccusage(config, "daily")
    assert [d["date"] for d in ours["daily"]] == [d["date"] for d in theirs["daily"]]
    assert by_model(ours["daily"], "date") == by_model(theirs["daily"], "date")
    for a, b in zip(ours["daily"], theirs["daily"]):
        assert sorted(a) == sorted(b)  # the same fields, nothing more
        assert {t: a[t] for t in TOKENS} == {t: b[t] for t in TOKENS}
        assert sorted(a["modelsUsed"]) == sorted(b["modelsUsed"])
        assert a["totalCost"] == pytest.approx(b["totalCost"], rel=0.01)
        for ma, mb in zip(a["modelBreakdowns"], b["modelBreakdowns"]):
            assert sorted(ma) == sorted(mb) and ma["cost"] == pytest.approx(mb["cost"], rel=0.01)
    assert sorted(ours["totals"]) == sorted(theirs["totals"])
    assert {t: ours["totals"][t] for t in TOKENS} == {t: theirs["totals"][t] for t in TOKENS}
    assert ours["totals"]["totalCost"] == pytest.approx(theirs["totals"]["totalCost"], rel=0.01)
    # ccusage's filters and orders, spelt both ways
    days = [d["date"] for d in theirs["daily"]]
    since, until = days[1], days[-2].replace("-", "")
    assert usage(db, "daily", "--since", since, "--until", until, "--order", "desc") == usage(
        db, "daily", "--since", since.replace("-", ""), "--until", until, "--order", "desc")
    filtered = ccusage(config, "daily", "--since", since, "--until", until, "--order", "desc")
    assert [d["date"] for d in usage(db, "daily", "--since", since, "--until", until, "--order", "desc")["daily"]] == [
        d["date"] for d in filtered["daily"]]


@needs_ccusage
def test_instances_and_project_as_ccusage(imported):
    config, db, _ = imported
    ours, theirs = usage(db, "daily", "--instances"), ccusage(config, "daily", "--instances")
    assert list(ours["projects"]) == list(theirs["projects"])
    for name in theirs["projects"]:
        assert by_model(ours["projects"][name], "date") == by_model(theirs["projects"][name], "date")
        assert [d["project"] for d in ours["projects"][name]] == [d["project"] for d in theirs["projects"][name]]
    name = next(iter(theirs["projects"]))
    one, theirs_one = usage(db, "daily", "--project", name), ccusage(config, "daily", f"--project={name}")
    assert by_model(one["daily"], "date") == by_model(theirs_one["daily"], "date")


def week_of(day: str) -> str:
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.isoweekday() % 7)).isoformat()


@needs_ccusage
def test_weekly_and_monthly_sum_ccusage_days(imported):
    config, db, _ = imported
    days = ccusage(config, "daily")["daily"]
    for report, name, key, bucket in (("weekly", "weekly", "week", week_of), ("monthly", "monthly", "month",
                                                                             lambda d: d[:7])):
        expected: dict = defaultdict(lambda: [0, 0, 0, 0])
        for d in days:
            for m in d["modelBreakdowns"]:
                row = expected[(bucket(d["date"]), m["modelName"])]
                for i, t in enumerate(TOKENS[:4]):
                    row[i] += m[t]
        ours = usage(db, report)
        assert by_model(ours[name], key) == {k: tuple(v) for k, v in expected.items()}
        theirs = ccusage(config, report)
        assert [r[key] for r in ours[name]] == [r[key] for r in theirs[name]]
        assert sorted(ours[name][0]) == sorted(theirs[name][0])


@needs_ccusage
def test_sessions_and_blocks_line_up_with_ccusage(imported):
    config, db, _ = imported
    ours, theirs = usage(db, "session"), ccusage(config, "session")
    assert sorted(ours["sessions"][0]) == sorted(theirs["sessions"][0])
    # ccusage makes a session of each sub-agent file of the older layout; chatlake counts it in its parent's
    parents = {s["sessionId"]: s for s in theirs["sessions"] if not s["sessionId"].startswith("agent-")}
    assert {s["sessionId"] for s in ours["sessions"]} == set(parents)
    for s in ours["sessions"]:
        assert s["projectPath"] == parents[s["sessionId"]]["projectPath"]
        assert s["firstActivity"] == parents[s["sessionId"]]["firstActivity"]
    costs = [s["totalCost"] for s in ours["sessions"]]
    assert costs == sorted(costs, reverse=True)
    assert {t: ours["totals"][t] for t in TOKENS} == {t: usage(db, "daily")["totals"][t] for t in TOKENS}
    ours, theirs = usage(db, "blocks"), ccusage(config, "blocks")
    shape = ("id", "startTime", "endTime", "actualEndTime", "isGap", "isActive")
    assert [tuple(b[k] for k in shape) for b in ours["blocks"]] == [tuple(b[k] for k in shape) for b in theirs["blocks"]]
    assert sorted(ours["blocks"][0]) == sorted(theirs["blocks"][0])


def test_table_fits_80_columns_and_says_cost_is_an_estimate(imported):
    _, db, _ = imported
    for report in ("daily", "weekly", "monthly", "session", "blocks"):
        result = CliRunner().invoke(app, ["usage", report, "--db", str(db), "--breakdown"] if report != "blocks"
                                    else ["usage", report, "--db", str(db)], env={"COLUMNS": "80"})
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert max(len(line) for line in lines) <= 80, result.stdout
        assert "estimate" in result.stdout and "Total" in result.stdout or report == "blocks"


def test_bad_flags_are_usage_errors(imported):
    _, db, _ = imported
    for args in (["--since", "2026-02-30"], ["--timezone", "Nowhere/City"], ["--order", "sideways"]):
        result = CliRunner().invoke(app, ["usage", "daily", "--db", str(db), *args])
        assert result.exit_code == 2 and "invalid value for" in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1


def test_usage_is_kept_after_claude_code_deletes_the_files(tmp_path):
    root = tmp_path / "projects"
    TranscriptGenerator(root, seed=31).write_tree(sessions=4, prompts=4)
    db = tmp_path / "chatlake.duckdb"
    assert import_transcripts(roots=[root], db=db).ok
    before = usage(db, "daily")
    assert before["totals"]["totalTokens"] > 0
    shutil.rmtree(root)
    root.mkdir()  # Claude Code's cleanup leaves the folder
    import_transcripts(roots=[root], db=db)
    assert usage(db, "daily") == before
    import_transcripts(roots=[root], db=db, full_refresh=True)  # the marts rebuilt from the raw lines alone
    after = usage(db, "daily")
    assert by_model(after["daily"], "date") == by_model(before["daily"], "date")
    # the same sums, added up in another order
    assert after["totals"]["totalCost"] == pytest.approx(before["totals"]["totalCost"], rel=1e-12)
