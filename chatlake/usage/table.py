"""The usage reports as tables for a terminal: a row per day, week, month, session or block,
the totals last; the cache columns only when the terminal is wide enough for them."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from chatlake.core.sources import SOURCE_NAMES, USAGE_SOURCES
from chatlake.usage.report import Report

ESTIMATE = "Costs are estimates at API list prices; a subscription is billed otherwise."
TITLES = {"daily": ("Date", "by day"), "weekly": ("Week", "by week"), "monthly": ("Month", "by month"),
          "session": ("Session", "by session"), "blocks": ("Block start", "in 5-hour blocks")}
LISTS = {"daily": "daily", "weekly": "weekly", "monthly": "monthly", "session": "sessions"}
KEYS = {"daily": "date", "weekly": "week", "monthly": "month", "session": "sessionId"}


def short_model(name: str) -> str:
    """`claude-sonnet-4-5-20250929` -> `sonnet-4-5`, as ccusage names models in its tables."""
    name = re.sub(r"^(anthropic/)?claude-", "", name)
    parts = name.split("-")
    return "-".join(parts[:-1]) if len(parts) >= 3 and len(parts[-1]) == 8 else name


def _n(value: int) -> str:
    return f"{value:,}"


def _cost(value: float) -> str:
    return f"${value:,.2f}"


def _local(iso: str, zone: str, fmt: str) -> str:
    instant = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return instant.astimezone(ZoneInfo(zone)).strftime(fmt)


def _apps(sources: tuple[str, ...]) -> str:
    """Whose usage the title names: every app that records usage is plain "Token usage"."""
    if not sources or set(sources) >= set(USAGE_SOURCES):
        return "Token usage"
    names = [SOURCE_NAMES[s] for s in sources]
    return (", ".join(names[:-1]) + " and " if len(names) > 1 else "") + names[-1] + " token usage"


def _table(report: Report, *columns: str) -> Table:
    """A report's table with its title, the estimate's caption and `columns` (text, left-aligned)."""
    table = Table(title=f"{_apps(report.sources)} {TITLES[report.kind][1]}", box=box.SIMPLE_HEAD,
                  header_style="bold", title_style="bold", pad_edge=False)
    for name in columns:
        table.add_column(name, overflow="fold", no_wrap=name != "Models", min_width=10 if name == "Models" else None)
    return table


def render(report: Report, console: Console, breakdown: bool = False, wide: bool = True) -> None:
    """Print `report` as a table on `console` (a note on stderr when there is nothing to show);
    with --instances, a table per project."""
    if report.kind == "blocks":
        _blocks(report, console)
        return
    projects = report.data.get("projects")
    groups = projects.items() if projects is not None else [(None, report.data[LISTS[report.kind]])]
    if not any(rows for _, rows in groups):
        Console(stderr=True).print("No usage found (for these filters).", highlight=False)
        return
    for project, rows in groups:
        totals = report.data["totals"] if project is None else _totals(rows)
        console.print(_summary(report, rows, totals, project, breakdown, wide))
    if projects is not None:
        t = report.data["totals"]
        console.print(f"[bold]All projects: {_n(t['totalTokens'])} tokens, {_cost(t['totalCost'])}[/]",
                      highlight=False)
    console.print(f"[dim]{ESTIMATE}[/]", highlight=False)


def _totals(rows: list[dict]) -> dict:
    keys = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens", "totalTokens", "totalCost")
    return {k: sum(r[k] for r in rows) for k in keys}


def _summary(report: Report, rows: list[dict], totals: dict, project: str | None, breakdown: bool,
             wide: bool) -> Table:
    table = _table(report, TITLES[report.kind][0], "Models")
    if project is not None:
        table.title += f"\n{escape(project)}"
    for name in ["Input", "Output", *(["Cache write", "Cache read"] if wide else []), "Total", "Cost"]:
        table.add_column(name, justify="right", no_wrap=True)
    session = report.kind == "session"
    if session and wide:
        table.add_column("Last", no_wrap=True)

    def cells(counts: dict) -> list[str]:
        values = [_n(counts["inputTokens"]), _n(counts["outputTokens"])]
        if wide:
            values += [_n(counts["cacheCreationTokens"]), _n(counts["cacheReadTokens"])]
        total = sum(counts[k] for k in ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens"))
        return values + [_n(total), _cost(counts.get("totalCost", counts.get("cost", 0.0)))]

    for row in rows:
        label = row[KEYS[report.kind]]
        label = label[:8] if session else label
        models = "\n".join(short_model(m) for m in row["modelsUsed"]) or "-"
        extra = [_local(row["lastActivity"], report.timezone, "%Y-%m-%d")] if session and wide else []
        table.add_row(escape(label), escape(models), *cells(row), *extra)
        if breakdown:
            for b in row["modelBreakdowns"]:
                table.add_row("", f"└ {escape(short_model(b['modelName']))}", *cells(b), *([""] if extra else []),
                              style="dim")
    table.add_section()
    table.add_row("[bold]Total[/]", "", *(f"[bold]{c}[/]" for c in cells(totals)), *([""] if session and wide else []))
    return table


def _print(console: Console, table: Table) -> None:
    console.print(table)
    console.print(f"[dim]{ESTIMATE}[/]", highlight=False)


def _duration(ms: int) -> str:
    minutes = ms // 60_000
    return f"{minutes // 60}h {minutes % 60}m" if minutes >= 60 else f"{minutes}m"


def _blocks(report: Report, console: Console) -> None:
    blocks = report.data["blocks"]
    if not blocks:
        Console(stderr=True).print("No usage found (for these filters).", highlight=False)
        return
    table = _table(report, "Block start", "Status", "Models")
    table.add_column("Tokens", justify="right", no_wrap=True)
    table.add_column("Cost", justify="right", no_wrap=True)
    for b in blocks:
        start = _local(b["startTime"], report.timezone, "%Y-%m-%d %H:%M")
        begin = datetime.fromisoformat(b["startTime"].replace("Z", "+00:00"))
        if b["isGap"]:
            end = datetime.fromisoformat(b["endTime"].replace("Z", "+00:00"))
            table.add_row(start, f"gap {_duration(int((end - begin).total_seconds() * 1000))}", "", "", "",
                          style="dim")
            continue
        last = datetime.fromisoformat(b["actualEndTime"].replace("Z", "+00:00"))
        status = "[green]ACTIVE[/]" if b["isActive"] else _duration(int((last - begin).total_seconds() * 1000))
        models = "\n".join(short_model(m) for m in b["models"]) or "-"
        table.add_row(start, status, escape(models), _n(b["totalTokens"]), _cost(float(b["costUSD"])))
        if b["projection"]:
            p = b["projection"]
            table.add_row("", f"[yellow]projected[/] ({p['remainingMinutes']} min left)", "",
                          _n(p["totalTokens"]), _cost(p["totalCost"]), style="dim")
    _print(console, table)
