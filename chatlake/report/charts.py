"""The report's charts as Vega-Lite specs, made with altair from the rows of ReportData."""

from __future__ import annotations

import altair as alt

from chatlake.report.data import ReportData

HEIGHT = 220
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
TOKEN_KINDS = ["input", "output", "cache_write", "cache_read"]


def _base(rows: list[dict]) -> alt.Chart:
    # width "container": the chart takes its box's width, on a laptop as on a phone
    return alt.Chart(alt.Data(values=rows)).properties(width="container", height=HEIGHT)


def prompts_per_day(data: ReportData) -> dict:
    return _base(data.prompts_per_day).mark_bar().encode(
        x=alt.X("day:T", title=None, timeUnit="yearmonthdate"),
        y=alt.Y("sum(prompts):Q", title="prompts"),
        color=alt.Color("project:N", title="project", sort=alt.SortField("prompts", order="descending")),
        tooltip=[alt.Tooltip("day:T", title="day"), "project:N", alt.Tooltip("sum(prompts):Q", title="prompts")],
    ).to_dict()


def hour_of_week(data: ReportData) -> dict:
    return _base(data.hour_of_week).mark_rect().encode(
        # every hour and every day, also those without a prompt
        x=alt.X("hour:O", title="hour of day", scale=alt.Scale(domain=list(range(24))),
                axis=alt.Axis(labelAngle=0, values=list(range(0, 24, 3)))),
        y=alt.Y("weekday:N", title=None, scale=alt.Scale(domain=WEEKDAYS)),
        color=alt.Color("prompts:Q", title="prompts", scale=alt.Scale(scheme="blues")),
        tooltip=["weekday:N", "hour:O", "prompts:Q"],
    ).properties(height=180).to_dict()


def tokens_per_day(data: ReportData) -> dict:
    return _base(data.tokens_per_day).mark_bar().encode(
        x=alt.X("day:T", title=None, timeUnit="yearmonthdate"),
        y=alt.Y("sum(tokens):Q", title="tokens", axis=alt.Axis(format="~s")),
        color=alt.Color("kind:N", title="kind", sort=TOKEN_KINDS, scale=alt.Scale(domain=TOKEN_KINDS)),
        order=alt.Order("kind_order:Q"),
        tooltip=[alt.Tooltip("day:T", title="day"), "kind:N", alt.Tooltip("sum(tokens):Q", title="tokens", format=",")],
    ).transform_calculate(kind_order=f"indexof({TOKEN_KINDS!r}, datum.kind)").to_dict()


def cost_per_day(data: ReportData) -> dict:
    return _base(data.cost_per_day).mark_bar().encode(
        x=alt.X("day:T", title=None, timeUnit="yearmonthdate"),
        y=alt.Y("sum(cost):Q", title="US$ (API prices)", axis=alt.Axis(format="$,.2f")),
        color=alt.Color("model:N", title="model"),
        tooltip=[alt.Tooltip("day:T", title="day"), "model:N", alt.Tooltip("sum(cost):Q", title="cost", format="$,.2f")],
    ).to_dict()


def cost_by_project(data: ReportData) -> dict:
    rows = [r for r in data.cost_by_project if r["cost"]]
    return _base(rows).mark_bar().encode(
        x=alt.X("cost:Q", title="US$ (API prices)", axis=alt.Axis(format="$,.0f")),
        y=alt.Y("project:N", title=None, sort="-x"),
        tooltip=["project:N", alt.Tooltip("project_path:N", title="path"),
                 alt.Tooltip("cost:Q", format="$,.2f"), alt.Tooltip("tokens:Q", format=",")],
    ).properties(height=max(60, 24 * len(rows))).to_dict()


def cache_share(data: ReportData) -> dict:
    return _base(data.cache_share).mark_line(point=True).encode(
        x=alt.X("day:T", title=None, timeUnit="yearmonthdate"),
        y=alt.Y("share:Q", title="cache reads / all input", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("day:T", title="day"), alt.Tooltip("share:Q", format=".1%")],
    ).to_dict()


def blocks(data: ReportData) -> dict:
    return _base(data.blocks).mark_bar().encode(
        x=alt.X("start:T", title="block start"),
        y=alt.Y("cost:Q", title="US$ per 5-hour block", axis=alt.Axis(format="$,.2f")),
        tooltip=[alt.Tooltip("start:T", title="start", format="%Y-%m-%d %H:%M"), alt.Tooltip("cost:Q", format="$,.2f"),
                 alt.Tooltip("tokens:Q", format=","), "responses:Q"],
    ).to_dict()


def tools(data: ReportData) -> dict:
    base = _base(data.tools).encode(y=alt.Y("tool:N", title=None, sort="-x"))
    bars = base.mark_bar().encode(
        x=alt.X("calls:Q", title="calls"),
        color=alt.Color("error_rate:Q", title="error rate", scale=alt.Scale(scheme="orangered", domain=[0, 0.25]),
                        legend=alt.Legend(format="%")),
        tooltip=["tool:N", alt.Tooltip("calls:Q", format=","), alt.Tooltip("errors:Q", format=","),
                 alt.Tooltip("error_rate:Q", title="error rate", format=".1%")],
    )
    labels = base.mark_text(align="left", dx=4, fontSize=11).encode(
        x="calls:Q", text=alt.Text("error_rate:Q", format=".0%"))
    return (bars + labels).properties(height=max(60, 22 * len(data.tools))).to_dict()


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
        chart("cost-by-project", "Cost by project", usage_note,
              [r for r in data.cost_by_project if r["cost"]], cost_by_project),
        chart("blocks", "5-hour blocks", "cost of each of Claude's 5-hour usage windows", data.blocks, blocks),
        chart("tools", "Tool calls", "by tool; the label is the share that failed", data.tools, tools),
        chart("cache-share", "Cache reads", "share of all input tokens read from the prompt cache", data.cache_share,
              cache_share),
    ]
