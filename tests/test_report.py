"""`chatlake report`: the one-file HTML report, written by the real CLI and opened in a real browser."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from altair.utils.schemapi import validate_jsonschema
from altair.vegalite.v6.schema import core

from browser_support import load, screenshot
from chatlake.pipeline import import_transcripts
from chatlake.cli import app
from chatlake.example.transcripts import TranscriptGenerator
from chatlake.example.exports import ExportGenerator, write_zip
from chatlake.core.errors import UsageError
from chatlake.report.filters import make_filters
from chatlake.report.retention import classify, cleanup_period_days, deleted, expiring
from conftest import CORPUS

runner = CliRunner()
NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
CHARTS = ("prompts-per-day", "hour-of-week", "tokens-per-day", "cost-per-day", "cost-by-project", "blocks", "tools",
          "cache-share")


def artifact(path: Path) -> Path:
    """Keep a copy where $CHATLAKE_TEST_ARTIFACTS says (CI collects it), else leave it in the temp folder."""
    folder = os.environ.get("CHATLAKE_TEST_ARTIFACTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(folder) / path.name)
    print(f"artifact: {path}")
    return path


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    gen = TranscriptGenerator(root / "projects", seed=22)
    for project in ("/home/dev/work/api", "/home/dev/work/web", "/srv/billing"):
        for _ in range(2):
            gen.session(prompts=4, project=project)
    old = gen.session(prompts=2, project="/home/dev/work/old")     # untouched for 25 days: deleted within 7
    gone = gen.session(prompts=2, project="/home/dev/work/gone")   # deleted by Claude Code after the import
    stamp = time.time() - 25 * 86400
    os.utime(old.path, (stamp, stamp))
    chat = ExportGenerator(seed=5).chatgpt(prompts=3)
    zipped = write_zip(root / "chatgpt.zip", [chat])
    db = root / "wh" / "chatlake.duckdb"
    assert import_transcripts([root / "projects", zipped], db).ok
    gone.path.unlink()
    return {"db": db, "root": root, "old": old, "gone": gone, "chat": chat, "cache": root / "data"}


def report(warehouse, monkeypatch, out: Path, *args: str):
    # one data folder for the module: Vega's bundle is made once, then read from its cache
    monkeypatch.setenv("XDG_DATA_HOME", str(warehouse["cache"]))
    result = runner.invoke(app, ["report", "--db", str(warehouse["db"]), "-o", str(out), *args])
    return result, (out.read_text(encoding="utf-8") if out.exists() else "")


def specs(html: str) -> dict[str, dict]:
    return {m.group(1): json.loads(m.group(2).replace("<\\/", "</"))
            for m in re.finditer(r'<script type="application/json" data-chart="([^"]+)">(.*?)</script>', html, re.S)}


def values(spec: dict) -> list[dict]:
    return spec["datasets"]["rows"]


# -- pure rules -------------------------------------------------------------------------------------

def test_cleanup_period_from_claude_settings():
    assert cleanup_period_days(None) == 30
    assert cleanup_period_days('{"cleanupPeriodDays": 90}') == 90
    assert cleanup_period_days('{"model": "opus"}') == 30
    assert cleanup_period_days("not json") == 30
    assert cleanup_period_days('{"cleanupPeriodDays": "soon"}') == 30
    assert cleanup_period_days('[1]') == 30


def test_deleted_and_expiring_sessions():
    rows = [("a", "A", "/p", NOW - timedelta(days=40), "/gone.jsonl", None),
            ("b", "B", "/p", NOW - timedelta(days=26), "/b.jsonl", NOW - timedelta(days=26)),
            ("c", "C", "/p", NOW - timedelta(days=2), "/c.jsonl", NOW - timedelta(days=2))]
    held = classify(rows, NOW, 30, exists=lambda path: path != "/gone.jsonl")
    assert [h.session_id for h in deleted(held)] == ["a"]
    assert [h.session_id for h in expiring(held, NOW)] == ["b"]
    assert expiring(held, NOW)[0].deletes_at == NOW + timedelta(days=4)
    assert expiring(classify(rows, NOW, 60, exists=lambda p: True), NOW) == []


def test_filters_are_checked():
    assert make_filters("20260301", "2026-03-31").since.isoformat() == "2026-03-01"
    for bad in ({"since": "March"}, {"since": "2026-04-01", "until": "2026-03-01"}, {"source": "slack"}):
        with pytest.raises(UsageError):  # BadReportOption, or the UnknownSource every --source raises
            make_filters(**bad)
    assert make_filters(source=["codex,gemini_cli", "codex"]).sources == ("codex", "gemini_cli")


# -- the command ------------------------------------------------------------------------------------

def test_report_is_one_self_contained_page(warehouse, monkeypatch, tmp_path):
    result, html = report(warehouse, monkeypatch, tmp_path / "report.html")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"wrote {tmp_path / 'report.html'} (")
    assert html.startswith("<!doctype html>") and len(html.encode()) < 5_000_000
    # nothing fetched: no external script, style sheet, font or image, no CDN
    assert not re.search(r"<script[^>]*\ssrc=", html) and "<link" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?https?://""", html)
    assert not re.search(r"@import|url\(\s*['\"]?https?:", html)
    drawn = specs(html)
    assert set(drawn) == set(CHARTS)  # every chart has data on this warehouse
    schema = core.load_schema()
    for spec in drawn.values():  # valid Vega-Lite (the report writes them unchecked, for speed)
        validate_jsonschema(spec, schema)
    for name in ("api", "web", "billing", "old", "chatgpt"):
        assert name in {r["project"] for r in values(drawn["prompts-per-day"])}
    assert "Most expensive sessions" in html and "Longest sessions" in html
    assert re.search(r"<code>chatlake show [0-9a-f]{8}</code>", html)


def test_retention_view(warehouse, monkeypatch, tmp_path):
    _, html = report(warehouse, monkeypatch, tmp_path / "report.html")
    retention = html.split('id="retention"')[1]
    kept, soon = retention.split("Deleted within 7 days")
    assert "1 session whose transcript Claude Code has already deleted" in kept
    assert f"chatlake show {warehouse['gone'].session_id[:8]}" in kept
    assert "1 session that Claude Code will delete in the next 7 days" in soon
    assert f"chatlake show {warehouse['old'].session_id[:8]}" in soon
    # cleanupPeriodDays from ~/.claude/settings.json moves the deadline out of the week
    (Path(os.environ["HOME"]) / ".claude").mkdir(exist_ok=True)
    (Path(os.environ["HOME"]) / ".claude" / "settings.json").write_text('{"cleanupPeriodDays": 60}')
    _, later = report(warehouse, monkeypatch, tmp_path / "later.html")
    assert "0 sessions that Claude Code will delete in the next 7 days" in later
    assert "files untouched for 60 days" in later


def test_filters_narrow_every_figure(warehouse, monkeypatch, tmp_path):
    _, html = report(warehouse, monkeypatch, tmp_path / "api.html", "--project", "api")
    assert {r["project"] for r in values(specs(html)["prompts-per-day"])} == {"api"}
    assert "project api" in html
    _, html = report(warehouse, monkeypatch, tmp_path / "chat.html", "--source", "chatgpt")
    drawn = specs(html)
    assert {r["project"] for r in values(drawn["prompts-per-day"])} == {"chatgpt"}
    assert not {"tokens-per-day", "blocks", "tools"} & set(drawn)  # an export has no usage or tool calls
    assert 'id="retention"' not in html  # retention is Claude Code's
    _, html = report(warehouse, monkeypatch, tmp_path / "none.html", "--since", "2030-01-01")
    assert specs(html) == {} and "nothing to draw in this range" in html
    bad, _ = report(warehouse, monkeypatch, tmp_path / "bad.html", "--since", "yesterday")
    assert bad.exit_code == 2 and "--since" in bad.stderr
    assert not (tmp_path / "bad.html").exists()


def test_default_output_is_in_the_data_directory(warehouse, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(warehouse["cache"]))
    result = runner.invoke(app, ["report", "--db", str(warehouse["db"])])
    assert result.exit_code == 0, result.output
    assert (warehouse["cache"] / "chatlake" / "report.html").is_file()


def test_missing_warehouse_is_one_line(tmp_path):
    result = runner.invoke(app, ["report", "--db", str(tmp_path / "none.duckdb"), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 1 and "run `chatlake import` first" in result.stderr
    assert not (tmp_path / "r.html").exists()


def test_the_report_draws_in_a_real_browser_offline(warehouse, monkeypatch, tmp_path):
    page = tmp_path / "report.html"
    result, html = report(warehouse, monkeypatch, page)
    assert result.exit_code == 0
    loaded = load(page, tmp_path)
    assert loaded.console == [] and loaded.resources == []  # no console error, no request
    for chart in CHARTS:
        drawn = loaded.dom.split(f'id="{chart}"')[1].split("</section>")[0]
        assert re.search(r'<svg[^>]*class="marks"', drawn) and "could not be drawn" not in drawn, chart
        assert re.search(r'class="mark-(rect|line|symbol|text)', drawn), chart
    for name in ("api", "web", "billing", "chatgpt"):
        assert f">{name}<" in loaded.dom  # the projects as legend entries and table cells
    artifact(screenshot(page, tmp_path / "report.png"))
    artifact(screenshot(page, tmp_path / "report-phone.png", width=390, height=2400))


def test_a_show_page_draws_in_a_real_browser(warehouse, tmp_path):
    page = tmp_path / "show.html"
    sid = warehouse["old"].session_id
    result = runner.invoke(app, ["show", sid, "--db", str(warehouse["db"]), "--format", "html", "-o", str(page),
                                 "--agents"])
    assert result.exit_code == 0, result.output
    loaded = load(page, tmp_path)
    assert loaded.console == [] and loaded.resources == []
    assert f"claude --resume {sid}" in loaded.dom and 'class="human prompt"' in loaded.dom
    artifact(screenshot(page, tmp_path / "show.png", height=1600))


@pytest.mark.skipif(not (CORPUS / "claude-code-log-iansherr-fork").is_dir(),
                    reason="the public transcript corpus is absent")
def test_report_of_real_transcripts(monkeypatch, tmp_path):
    """Real transcripts of several projects (Claude Code 1.0.x to 2.1.x): every chart draws from them."""
    root = CORPUS / "claude-code-log-iansherr-fork/test/test_data/real_projects"
    db = tmp_path / "corpus.duckdb"
    import_transcripts([root], db)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    page = tmp_path / "corpus.html"
    result = runner.invoke(app, ["report", "--db", str(db), "-o", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    drawn = specs(html)
    assert {"prompts-per-day", "tokens-per-day", "cost-per-day", "tools", "blocks"} <= set(drawn)
    projects = {r["project"] for r in values(drawn["prompts-per-day"])}
    assert {"worktrees", "claude-code-log", "coderabbit-review-helper"} <= projects
    assert {"Bash", "Read"} <= {r["tool"] for r in values(drawn["tools"])}
    # their files are in the corpus still: nothing is kept only by chatlake
    assert "0 sessions whose transcript Claude Code has already deleted" in html
