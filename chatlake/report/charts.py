"""The report's charts as Vega-Lite specs (JSON that Vega-Lite, inlined in the page, draws), from the rows of ReportData.

Written as the plain dicts altair would make (tests/test_report.py checks each against Vega-Lite's
schema with altair's validator): importing altair takes a second, more than the rest of the report.
"""

from __future__ import annotations

from chatlake.report.data import ReportData

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
HEIGHT = 220
ROWS = "rows"
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
TOKEN_KINDS = ["input", "output", "cache_write", "cache_read"]
# The legend under the chart (beside it, it would squeeze the chart on a phone), in two columns
# whose labels fit a phone's 390 pixels (three cut a model's name off there); dates short.
CONFIG = {"view": {"continuousWidth": 300, "continuousHeight": 300},
          "axisTemporal": {"format": "%b %d", "labelOverlap": True},
          "legend": {"columns": 2, "direction": "horizontal", "labelLimit": 130, "orient": "bottom"}}


def _field(name: str, kind: str, **extra) -> dict:
    """One encoding channel: a field of the rows and its type (temporal, quantitative, nominal, ordinal)."""
    return {"field": name, "type": kind, **extra}


def _day(**extra) -> dict:
    return _field("day", "temporal", timeUnit="yearmonthdate", title=None, **extra)


def _day_tip() -> dict:
    return _field("day", "temporal", title="day")


def _sum(name: str, title: str, **extra) -> dict:
    return _field(name, "quantitative", aggregate="sum", title=title, **extra)


def _spec(body: dict, rows: list[dict], height: int = HEIGHT) -> dict:
    """A whole spec: the chart's box width (a laptop's or a phone's), its rows as a named dataset."""
    return {"$schema": SCHEMA, "config": CONFIG, "data": {"name": ROWS}, "width": "container", "height": height,
            **body, "datasets": {ROWS: rows}}


def _project_order(data: ReportData) -> list[str]:
    shown = {r["project"] for r in data.prompts_per_day}
    return [p for p in data.projects if p in shown] + (["other"] if "other" in shown else [])


def prompts_per_day(data: ReportData) -> dict:
    return _spec({"mark": {"type": "bar"}, "encoding": {
        "x": _day(),
        "y": _sum("prompts", "prompts"),
        # the projects in the order of their prompts, "other" last
        "color": _field("project", "nominal", title="project", scale={"domain": _project_order(data)}),
        "tooltip": [_day_tip(), _field("project", "nominal"), _sum("prompts", "prompts")],
    }}, data.prompts_per_day)


def hour_of_week(data: ReportData) -> dict:
    return _spec({"mark": {"type": "rect"}, "encoding": {
        # every hour and every day, also those without a prompt
        "x": _field("hour", "ordinal", title="hour of day", scale={"domain": list(range(24))},
                    axis={"labelAngle": 0, "values": list(range(0, 24, 3))}),
        "y": _field("weekday", "nominal", title=None, scale={"domain": WEEKDAYS}),
        "color": _field("prompts", "quantitative", title="prompts", scale={"scheme": "blues"}),
        "tooltip": [_field("weekday", "nominal"), _field("hour", "ordinal"), _field("prompts", "quantitative")],
    }}, data.hour_of_week, height=180)


def tokens_per_day(data: ReportData) -> dict:
    return _spec({"mark": {"type": "bar"}, "encoding": {
        "x": _day(),
        "y": _sum("tokens", "tokens", axis={"format": "~s"}),
        "color": _field("kind", "nominal", title="kind", scale={"domain": TOKEN_KINDS}),
        "order": _field("kind_order", "quantitative"),
        "tooltip": [_day_tip(), _field("kind", "nominal"), _sum("tokens", "tokens", format=",")],
    }, "transform": [{"calculate": f"indexof({TOKEN_KINDS!r}, datum.kind)", "as": "kind_order"}]},
        data.tokens_per_day)


def cost_per_day(data: ReportData) -> dict:
    return _spec({"mark": {"type": "bar"}, "encoding": {
        "x": _day(),
        "y": _sum("cost", "US$ (API prices)", axis={"format": "$,.2f"}),
        "color": _field("model", "nominal", title="model"),
        "tooltip": [_day_tip(), _field("model", "nominal"), _sum("cost", "cost", format="$,.2f")],
    }}, data.cost_per_day)


def _priced_projects(data: ReportData) -> list[dict]:
    return [r for r in data.cost_by_project if r["cost"]]


def cost_by_project(data: ReportData) -> dict:
    rows = _priced_projects(data)
    return _spec({"mark": {"type": "bar"}, "encoding": {
        "x": _field("cost", "quantitative", title="US$ (API prices)", axis={"format": "$,.0f"}),
        "y": _field("project", "nominal", title=None, sort="-x"),
        "tooltip": [_field("project", "nominal"), _field("project_path", "nominal", title="path"),
                    _field("cost", "quantitative", format="$,.2f"), _field("tokens", "quantitative", format=",")],
    }}, rows, height=max(60, 24 * len(rows)))


def cache_share(data: ReportData) -> dict:
    return _spec({"mark": {"type": "line", "point": True}, "encoding": {
        "x": _day(),
        "y": _field("share", "quantitative", title="cache reads / all input", axis={"format": "%"},
                    scale={"domain": [0, 1]}),
        "tooltip": [_day_tip(), _field("share", "quantitative", format=".1%")],
    }}, data.cache_share)


def blocks(data: ReportData) -> dict:
    return _spec({"mark": {"type": "bar"}, "encoding": {
        "x": _field("start", "temporal", title="block start"),
        "y": _field("cost", "quantitative", title="US$ per 5-hour block", axis={"format": "$,.2f"}),
        "tooltip": [_field("start", "temporal", title="start", format="%Y-%m-%d %H:%M"),
                    _field("cost", "quantitative", format="$,.2f"), _field("tokens", "quantitative", format=","),
                    _field("responses", "quantitative")],
    }}, data.blocks)


def tools(data: ReportData) -> dict:
    # the rows come most-called first; an explicit order, as both layers must share it
    tool = _field("tool", "nominal", title=None, sort=[t["tool"] for t in data.tools])
    bars = {"mark": {"type": "bar"}, "encoding": {
        "x": _field("calls", "quantitative", title="calls"),
        "y": tool,
        "color": _field("error_rate", "quantitative", title="error rate",
                        scale={"scheme": "orangered", "domain": [0, 0.25]}, legend={"format": "%"}),
        "tooltip": [_field("tool", "nominal"), _field("calls", "quantitative", format=","),
                    _field("errors", "quantitative", format=","),
                    _field("error_rate", "quantitative", title="error rate", format=".1%")],
    }}
    labels = {"mark": {"type": "text", "align": "left", "color": "#6e6e73", "dx": 4, "fontSize": 11}, "encoding": {
        "x": _field("calls", "quantitative"), "y": tool,
        "text": _field("error_rate", "quantitative", format=".0%"),
    }}
    return _spec({"layer": [bars, labels]}, data.tools, height=max(60, 22 * len(data.tools)))


def charts(data: ReportData) -> list[tuple[str, str, str, dict | None]]:
    """Each chart as (id, title, note, spec); spec None when the warehouse has nothing for it."""
    usage_note = "API-price estimate (a subscription is billed otherwise)"

    def chart(cid: str, title: str, note: str, rows: list, build) -> tuple[str, str, str, dict | None]:
        return cid, title, note, build(data) if rows else None

    return [
        chart("prompts-per-day", "Prompts per day", "what you typed, by project", data.prompts_per_day, prompts_per_day),
        chart("hour-of-week", "When you work", "prompts by weekday and hour, local time", data.hour_of_week, hour_of_week),
        chart("tokens-per-day", "Tokens per day", "by kind", data.tokens_per_day, tokens_per_day),
        chart("cost-per-day", "Cost per day", f"by model; {usage_note}", data.cost_per_day, cost_per_day),
        chart("cost-by-project", "Cost by project", usage_note, _priced_projects(data), cost_by_project),
        chart("blocks", "5-hour blocks", "cost of each 5-hour usage window, as ccusage's blocks", data.blocks, blocks),
        chart("tools", "Tool calls", "by tool; the label is the share that failed", data.tools, tools),
        chart("cache-share", "Cache reads", "share of all input tokens read from the prompt cache", data.cache_share,
              cache_share),
    ]
