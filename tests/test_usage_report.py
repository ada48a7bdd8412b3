"""The usage reports' rules on small warehouses: JSON as ccusage writes it, days in a time zone,
blocks and their boundaries, burn rate and projection, filters and orders."""

from __future__ import annotations

from datetime import datetime

import pytest

from chatlake.core.errors import BadOption, ChatlakeError
from chatlake.usage import make_options, usage_report
from chatlake.usage.jsonout import dumps, ryu_float
from chatlake.usage.options import date_bound
from chatlake.usage.summaries import week_start
from usage_support import response, warehouse


def ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


@pytest.mark.parametrize("value, text", [
    (0.0, "0.0"), (-0.0, "-0.0"), (0.1, "0.1"), (0.024360000000000003, "0.024360000000000003"),
    (1e-5, "0.00001"), (1.5e-5, "0.000015"), (1e-6, "1e-6"), (1.25e-7, "1.25e-7"), (100.0, "100.0"),
    (1e15, "1000000000000000.0"), (1e16, "1e16"), (2.5e20, "2.5e20"), (-3.75, "-3.75"),
])
def test_floats_are_written_as_serde_json_writes_them(value, text):
    assert ryu_float(value) == text


def test_objects_have_sorted_keys_and_two_space_indents():
    assert dumps({"b": [], "a": {"z": 1, "y": [True, None]}, "c": {}}) == (
        '{\n  "a": {\n    "y": [\n      true,\n      null\n    ],\n    "z": 1\n  },\n  "b": [],\n  "c": {}\n}')


@pytest.mark.parametrize("value", ["2026-03-01", "20260301"])
def test_dates_in_both_spellings(value):
    assert date_bound(value, "--since") == "20260301"


@pytest.mark.parametrize("value", ["2026-13-01", "2026-02-30", "yesterday", "2026-0301", "202603011"])
def test_bad_dates_are_usage_errors(value):
    with pytest.raises(BadOption, match="--since"):
        make_options(since=value)


def test_weeks_start_on_sunday_unless_told():
    assert week_start("2026-03-04", "sunday") == "2026-03-01"
    assert week_start("2026-03-01", "sunday") == "2026-03-01"
    assert week_start("2026-03-04", "monday") == "2026-03-02"
    assert week_start("2026-03-01", "monday") == "2026-02-23"


def test_days_are_counted_in_the_time_zone_asked_for(tmp_path):
    db = warehouse(tmp_path / "w.duckdb", [response("2026-03-01T23:30:00Z"), response("2026-03-01T10:00:00Z")])
    utc = usage_report("daily", db, make_options(timezone="UTC")).data["daily"]
    tokyo = usage_report("daily", db, make_options(timezone="Asia/Tokyo")).data["daily"]
    assert [(d["date"], d["inputTokens"]) for d in utc] == [("2026-03-01", 20)]
    assert [(d["date"], d["inputTokens"]) for d in tokyo] == [("2026-03-01", 10), ("2026-03-02", 10)]
    only = usage_report("daily", db, make_options(timezone="Asia/Tokyo", since="20260302")).data
    assert [d["date"] for d in only["daily"]] == ["2026-03-02"] and only["totals"]["inputTokens"] == 10


def test_a_zone_that_does_not_exist_is_a_usage_error(tmp_path):
    db = warehouse(tmp_path / "w.duckdb", [response("2026-03-01T10:00:00Z")])
    with pytest.raises(BadOption, match="--timezone"):
        usage_report("daily", db, make_options(timezone="Mars/Olympus"))


def test_models_breakdowns_fast_mode_and_synthetic_responses(tmp_path):
    db = warehouse(tmp_path / "w.duckdb", [
        response("2026-03-01T10:00:00Z", model="claude-sonnet-4-5", cost=0.25),
        response("2026-03-01T10:01:00Z", model="claude-opus-4-6", speed="fast", cost=1.5),
        response("2026-03-01T10:02:00Z", model="<synthetic>", input_tokens=0, output_tokens=0, cost=0.0),
    ])
    (day,) = usage_report("daily", db, make_options(timezone="UTC")).data["daily"]
    assert day["modelsUsed"] == ["claude-sonnet-4-5", "claude-opus-4-6-fast"]
    assert [b["modelName"] for b in day["modelBreakdowns"]] == ["claude-opus-4-6-fast", "claude-sonnet-4-5"]
    assert day["totalCost"] == 1.75 and day["totalTokens"] == 60


def test_a_model_without_a_price_counts_no_cost_and_is_named(tmp_path):
    db = warehouse(tmp_path / "w.duckdb", [response("2026-03-01T10:00:00Z", model="claude-future-9", cost=None),
                                           response("2026-03-01T10:01:00Z", cost=0.5)])
    report = usage_report("monthly", db, make_options(timezone="UTC"))
    assert report.missing_prices == ["claude-future-9"]
    assert report.data["monthly"][0]["month"] == "2026-03" and report.data["totals"]["totalCost"] == 0.5


def test_an_empty_report_totals_zero_as_ccusage_does(tmp_path):
    db = warehouse(tmp_path / "w.duckdb", [])
    text = dumps(usage_report("daily", db).data)
    assert '"daily": []' in text and '"totalCost": -0.0' in text
    assert usage_report("blocks", db).data == {"blocks": []}


def test_projects_filter_and_instances(tmp_path):
    db = warehouse(tmp_path / "w.duckdb", [
        response("2026-03-01T10:00:00Z", project="/home/me/api", session="a"),
        response("2026-03-01T11:00:00Z", project="/home/me/web", session="b"),
        response("2026-03-02T11:00:00Z", project="/home/me/web", session="b"),
    ])
    grouped = usage_report("daily", db, make_options(timezone="UTC", instances=True)).data
    assert list(grouped["projects"]) == ["-home-me-api", "-home-me-web"]
    assert [d["date"] for d in grouped["projects"]["-home-me-web"]] == ["2026-03-01", "2026-03-02"]
    assert grouped["projects"]["-home-me-web"][0]["project"] == "-home-me-web"
    assert grouped["totals"]["inputTokens"] == 30
    for name in ("-home-me-web", "/home/me/web"):  # the folder's name, or the working directory
        daily = usage_report("daily", db, make_options(timezone="UTC", project=name)).data["daily"]
        assert [(d["date"], d["project"]) for d in daily] == [("2026-03-01", "-home-me-web"), ("2026-03-02", "-home-me-web")]
    desc = usage_report("daily", db, make_options(timezone="UTC", order="desc")).data["daily"]
    assert [d["date"] for d in desc] == ["2026-03-02", "2026-03-01"]


def test_sessions_costliest_first_and_without_empty_ones(tmp_path):
    db = warehouse(tmp_path / "w.duckdb", [
        response("2026-03-01T10:00:00Z", session="cheap", cost=0.1),
        response("2026-03-01T10:05:00Z", session="dear", cost=2.0),
        response("2026-03-03T09:00:00Z", session="dear", cost=1.0),
        response("2026-03-01T10:00:00Z", session="empty", model="<synthetic>", input_tokens=0, output_tokens=0,
                 cost=0.0),
    ])
    sessions = usage_report("session", db, make_options(timezone="UTC")).data["sessions"]
    assert [(s["sessionId"], s["firstActivity"], s["lastActivity"]) for s in sessions] == [
        ("dear", "2026-03-01T10:05:00.000Z", "2026-03-03T09:00:00.000Z"),
        ("cheap", "2026-03-01T10:00:00.000Z", "2026-03-01T10:00:00.000Z")]
    assert sessions[0]["projectPath"] == "-home-me-api"
    asc = usage_report("session", db, make_options(timezone="UTC", order="asc")).data["sessions"]
    assert [s["sessionId"] for s in asc] == ["cheap", "dear"]
    # a session is in a date range by the day of its last activity, the last day included
    until = usage_report("session", db, make_options(timezone="UTC", until="2026-03-01")).data["sessions"]
    assert [s["sessionId"] for s in until] == ["cheap"]


def blocks(tmp_path, times: list[str], now: str = "2027-01-01T00:00:00Z", **flags) -> list[dict]:
    db = warehouse(tmp_path / "w.duckdb", [response(t, cost=0.5) for t in times])
    return usage_report("blocks", db, make_options(timezone="UTC", now_ms=ms(now), **flags)).data["blocks"]


def test_a_block_starts_on_the_hour_and_a_long_pause_leaves_a_gap(tmp_path):
    got = blocks(tmp_path, ["2026-03-01T09:40:12.345Z", "2026-03-01T11:00:00Z", "2026-03-01T19:30:00Z"])
    assert [(b["startTime"], b["endTime"], b["actualEndTime"], b["isGap"], b["entries"]) for b in got] == [
        ("2026-03-01T09:00:00.000Z", "2026-03-01T14:00:00.000Z", "2026-03-01T11:00:00.000Z", False, 2),
        ("2026-03-01T16:00:00.000Z", "2026-03-01T19:30:00.000Z", None, True, 0),
        ("2026-03-01T19:00:00.000Z", "2026-03-02T00:00:00.000Z", "2026-03-01T19:30:00.000Z", False, 1)]
    assert got[1]["id"] == "gap-2026-03-01T16:00:00.000Z" and got[1]["costUSD"] == 0
    assert got[0]["costUSD"] == 1.0 and got[0]["models"] == ["claude-sonnet-4-5"]


def test_the_block_end_itself_belongs_to_the_block(tmp_path):
    # 09:00 block: 14:00:00.000 is its last instant; a millisecond later opens the next block (no gap)
    got = blocks(tmp_path, ["2026-03-01T09:10:00Z", "2026-03-01T12:00:00Z", "2026-03-01T14:00:00Z",
                            "2026-03-01T14:00:00.001Z"])
    assert [(b["startTime"], b["entries"], b["isGap"]) for b in got] == [
        ("2026-03-01T09:00:00.000Z", 3, False), ("2026-03-01T14:00:00.000Z", 1, False)]


def test_a_pause_of_exactly_five_hours_is_no_gap(tmp_path):
    got = blocks(tmp_path, ["2026-03-01T09:00:00Z", "2026-03-01T14:00:00Z", "2026-03-01T19:00:00.001Z"])
    assert [(b["startTime"], b["isGap"]) for b in got] == [
        ("2026-03-01T09:00:00.000Z", False), ("2026-03-01T19:00:00.000Z", True),
        ("2026-03-01T19:00:00.000Z", False)]
    assert got[1]["endTime"] == "2026-03-01T19:00:00.001Z"


def test_the_active_block_has_a_burn_rate_and_a_projection(tmp_path):
    got = blocks(tmp_path, ["2026-03-01T09:10:00Z", "2026-03-01T09:40:00Z"], now="2026-03-01T10:00:00Z")
    (block,) = got
    assert block["isActive"] is True
    # 60 tokens and $1.00 over the 30 minutes between the first and last response
    assert block["burnRate"] == {"tokensPerMinute": 2.0, "tokensPerMinuteForIndicator": 2.0, "costPerHour": 2.0}
    # 240 minutes left at that rate
    assert block["projection"] == {"totalTokens": 60 + 480, "totalCost": 9.0, "remainingMinutes": 240}


def test_a_block_whose_end_has_passed_is_not_active(tmp_path):
    (block,) = blocks(tmp_path, ["2026-03-01T09:10:00Z", "2026-03-01T09:40:00Z"], now="2026-03-01T14:00:00Z")
    assert block["isActive"] is False and block["burnRate"] is None and block["projection"] is None


def test_blocks_by_start_date_and_newest_first(tmp_path):
    times = ["2026-03-01T09:00:00Z", "2026-03-03T09:00:00Z", "2026-03-05T09:00:00Z"]
    got = blocks(tmp_path, times, since="2026-03-02", order="desc")
    assert [b["startTime"][:10] for b in got] == ["2026-03-05", "2026-03-03", "2026-03-03"]
    assert [b["isGap"] for b in got] == [False, True, False]


def test_a_warehouse_without_responses_says_to_import(tmp_path):
    import duckdb

    db = tmp_path / "old.duckdb"
    duckdb.connect(str(db)).close()
    with pytest.raises(ChatlakeError, match="chatlake import"):
        usage_report("daily", db)
