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


def _spec(chart: alt.TopLevelMixin) -> dict:
    """The chart's spec, its legend under it (beside it, it would squeeze the chart on a phone)."""
    return chart.configure_legend(orient="bottom", direction="horizontal", columns=3, labelLimit=220) \
        .configure_axisTemporal(labelOverlap=True, format="%b %d").to_dict()


def _project_order(data: ReportData) -> list[str]:
    shown = {r["project"] for r in data.prompts_per_day}
    return [p for p in data.projects if p in shown] + (["other"] if "other" in shown else [])


def prompts_per_day(data: ReportData) -> alt.Chart:
    return _base(data.prompts_per_day).mark_bar().encode(
        x=alt.X("day:T", title=None, timeUnit="yearmonthdate"),
        y=alt.Y("sum(prompts):Q", title="prompts"),
        # the projects in the order of their prompts, "other" last
        color=alt.Color("project:N", title="project", scale=alt.Scale(domain=_project_order(data))),
        tooltip=[alt.Tooltip("day:T", title="day"), "project:N", alt.Tooltip("sum(prompts):Q", title="prompts")],
    )


def hour_of_week(data: ReportData) -> alt.Chart:
    return _base(data.hour_of_week).mark_rect().encode(
        # every hour and every day, also those without a prompt
        x=alt.X("hour:O", title="hour of day", scale=alt.Scale(domain=list(range(24))),
                axis=alt.Axis(labelAngle=0, values=list(range(0, 24, 3)))),
        y=alt.Y("weekday:N", title=None, scale=alt.Scale(domain=WEEKDAYS)),
        color=alt.Color("prompts:Q", title="prompts", scale=alt.Scale(scheme="blues")),
        tooltip=["weekday:N", "hour:O", "prompts:Q"],
    ).properties(height=180)


def tokens_per_day(data: ReportData) -> alt.Chart:
    return _base(data.tokens_per_day).mark_bar().encode(
        x=alt.X("day:T", title=None, timeUnit="yearmonthdate"),
        y=alt.Y("sum(tokens):Q", title="tokens", axis=alt.Axis(format="~s")),
        color=alt.Color("kind:N", title="kind", scale=alt.Scale(domain=TOKEN_KINDS)),
        order=alt.Order("kind_order:Q"),
        tooltip=[alt.Tooltip("day:T", title="day"), "kind:N", alt.Tooltip("sum(tokens):Q", title="tokens", format=",")],
    ).transform_calculate(kind_order=f"indexof({TOKEN_KINDS!r}, datum.kind)")


def cost_per_day(data: ReportData) -> alt.Chart:
    return _base(data.cost_per_day).mark_bar().encode(
        x=alt.X("day:T", title=None, timeUnit="yearmonthdate"),
        y=alt.Y("sum(cost):Q", title="US$ (API prices)", axis=alt.Axis(format="$,.2f")),
        color=alt.Color("model:N", title="model"),
        tooltip=[alt.Tooltip("day:T", title="day"), "model:N", alt.Tooltip("sum(cost):Q", title="cost", format="$,.2f")],
    )


def cost_by_project(data: ReportData) -> alt.Chart:
    rows = [r for r in data.cost_by_project if r["cost"]]
    return _base(rows).mark_bar().encode(
        x=alt.X("cost:Q", title="US$ (API prices)", axis=alt.Axis(format="$,.0f")),
        y=alt.Y("project:N", title=None, sort="-x"),
        tooltip=["project:N", alt.Tooltip("project_path:N", title="path"),
                 alt.Tooltip("cost:Q", format="$,.2f"), alt.Tooltip("tokens:Q", format=",")],
    ).properties(height=max(60, 24 * len(rows)))


def cache_share(data: ReportData) -> alt.Chart:
    return _base(data.cache_share).mark_line(point=True).encode(
        x=alt.X("day:T", title=None, timeUnit="yearmonthdate"),
        y=alt.Y("share:Q", title="cache reads / all input", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("day:T", title="day"), alt.Tooltip("share:Q", format=".1%")],
    )


def blocks(data: ReportData) -> alt.Chart:
    return _base(data.blocks).mark_bar().encode(
        x=alt.X("start:T", title="block start"),
        y=alt.Y("cost:Q", title="US$ per 5-hour block", axis=alt.Axis(format="$,.2f")),
        tooltip=[alt.Tooltip("start:T", title="start", format="%Y-%m-%d %H:%M"), alt.Tooltip("cost:Q", format="$,.2f"),
                 alt.Tooltip("tokens:Q", format=","), "responses:Q"],
    )


def tools(data: ReportData) -> alt.LayerChart:
    # the rows come most-called first; an explicit order, as both layers must share it
    base = _base(data.tools).encode(y=alt.Y("tool:N", title=None, sort=[t["tool"] for t in data.tools]))
    bars = base.mark_bar().encode(
        x=alt.X("calls:Q", title="calls"),
        color=alt.Color("error_rate:Q", title="error rate", scale=alt.Scale(scheme="orangered", domain=[0, 0.25]),
                        legend=alt.Legend(format="%")),
        tooltip=["tool:N", alt.Tooltip("calls:Q", format=","), alt.Tooltip("errors:Q", format=","),
                 alt.Tooltip("error_rate:Q", title="error rate", format=".1%")],
    )
    labels = base.mark_text(align="left", dx=4, fontSize=11, color="#6e6e73").encode(
        x="calls:Q", text=alt.Text("error_rate:Q", format=".0%"))
    return (bars + labels).properties(height=max(60, 22 * len(data.tools)))


def charts(data: ReportData) -> list[tuple[str, str, str, dict | None]]:
    """Each chart as (id, title, note, spec); spec None when the warehouse has nothing for it."""
    usage_note = "API-price estimate (a subscription is billed otherwise)"

    def chart(cid: str, title: str, note: str, rows: list, build) -> tuple[str, str, str, dict | None]:
        return cid, title, note, _spec(build(data)) if rows else None

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
