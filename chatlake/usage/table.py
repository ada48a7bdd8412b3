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


def _table(kind: str, *columns: str) -> Table:
    """A report's table with its title, the estimate's caption and `columns` (text, left-aligned)."""
    table = Table(title=f"Claude Code token usage {TITLES[kind][1]}", caption=ESTIMATE, box=box.SIMPLE_HEAD,
                  header_style="bold", title_style="bold", caption_style="dim", pad_edge=False)
    for name in columns:
        table.add_column(name, overflow="fold", no_wrap=name != "Models")
    return table


def render(report: Report, console: Console, breakdown: bool = False, wide: bool = True) -> None:
    """Print `report` as a table on `console` (a note on stderr when there is nothing to show)."""
    if report.kind == "blocks":
        _blocks(report, console)
        return
    if report.kind in ("daily", "weekly", "monthly") and "projects" in report.data:
        rows = [r for rows in report.data["projects"].values() for r in rows]
    else:
        rows = report.data[LISTS[report.kind]]
    if not rows:
        Console(stderr=True).print("No usage found (for these filters).", highlight=False)
        return
    table = _table(report.kind, TITLES[report.kind][0], "Models")
    numbers = ["Input", "Output", *(["Cache write", "Cache read"] if wide else []), "Total", "Cost"]
    for name in numbers:
        table.add_column(name, justify="right", no_wrap=True)
    session = report.kind == "session"
    if session and wide:
        table.add_column("Last", no_wrap=True)

    def cells(item: dict, tokens_from: dict) -> list[str]:
        values = [_n(tokens_from["inputTokens"]), _n(tokens_from["outputTokens"])]
        if wide:
            values += [_n(tokens_from["cacheCreationTokens"]), _n(tokens_from["cacheReadTokens"])]
        total = sum(tokens_from[k] for k in ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens"))
        return values + [_n(total), _cost(tokens_from.get("totalCost", tokens_from.get("cost", 0.0)))]

    project = None
    for row in rows:
        if "project" in row and row["project"] != project and "projects" in report.data:
            project = row["project"]
            table.add_row(f"[bold]{escape(project)}[/]", end_section=False)
        label = row[KEYS[report.kind]]
        label = label[:8] if session else label
        models = "\n".join(short_model(m) for m in row["modelsUsed"]) or "-"
        extra = [_local(row["lastActivity"], report.timezone, "%Y-%m-%d")] if session and wide else []
        table.add_row(escape(label), escape(models), *cells(row, row), *extra)
        if breakdown:
            for b in row["modelBreakdowns"]:
                table.add_row("", f"└ {escape(short_model(b['modelName']))}", *cells(b, b),
                              *([""] if extra else []), style="dim")
    totals = report.data["totals"]
    table.add_section()
    table.add_row("[bold]Total[/]", "", *(f"[bold]{c}[/]" for c in cells(totals, totals)), *([""] if session and wide else []))
    console.print(table)


def _duration(ms: int) -> str:
    minutes = ms // 60_000
    return f"{minutes // 60}h {minutes % 60}m" if minutes >= 60 else f"{minutes}m"


def _blocks(report: Report, console: Console) -> None:
    blocks = report.data["blocks"]
    if not blocks:
        Console(stderr=True).print("No usage found (for these filters).", highlight=False)
        return
    table = _table("blocks", "Block start", "Status", "Models")
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
    console.print(table)
