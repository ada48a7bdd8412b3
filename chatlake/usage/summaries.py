"""ccusage 20's daily, weekly, monthly and session rows, shaped from per-model usage.

A row sums every response of its group (those without a model too); `modelsUsed` lists its
models in the order they first appear, and `modelBreakdowns` holds one entry per model, the
most expensive first, as ccusage writes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from chatlake.usage.options import WEEKDAYS
from chatlake.usage.warehouse import Usage

TOKEN_FIELDS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")


@dataclass
class Group:
    """One report row before it is JSON: its key fields (`date`, `week`, `sessionId`…) and usage by model."""

    keys: dict
    usages: list[Usage] = field(default_factory=list)

    def add(self, usage: Usage) -> None:
        add_usage(self.usages, usage)

    @property
    def cost(self) -> float:
        return _sum(u.cost for u in self.usages)

    @property
    def missing_prices(self) -> set[str]:
        return {u.model for u in self.usages if u.missing_price and u.model}


def add_usage(usages: list[Usage], usage: Usage) -> None:
    """Add `usage` to its model's entry in `usages`, or append it as the next model seen."""
    for i, known in enumerate(usages):
        if known.model == usage.model:
            usages[i] = merge(known, usage)
            return
    usages.append(usage)


def merge(a: Usage, b: Usage) -> Usage:
    return replace(a, input_tokens=a.input_tokens + b.input_tokens, output_tokens=a.output_tokens + b.output_tokens,
                   cache_creation_tokens=a.cache_creation_tokens + b.cache_creation_tokens,
                   cache_read_tokens=a.cache_read_tokens + b.cache_read_tokens, cost=a.cost + b.cost,
                   missing_price=a.missing_price or b.missing_price, responses=a.responses + b.responses,
                   first_ms=min(a.first_ms, b.first_ms), last_ms=max(a.last_ms, b.last_ms))


def _sum(values, start: float = 0.0) -> float:
    total = start
    for v in values:
        total += v
    return total


def _tokens(usages: list[Usage]) -> dict:
    counts = {
        "inputTokens": sum(u.input_tokens for u in usages),
        "outputTokens": sum(u.output_tokens for u in usages),
        "cacheCreationTokens": sum(u.cache_creation_tokens for u in usages),
        "cacheReadTokens": sum(u.cache_read_tokens for u in usages),
    }
    counts["totalTokens"] = sum(counts.values())
    return counts


def row_json(group: Group) -> dict:
    """A row as ccusage writes it: key fields, token counts, totalCost, modelsUsed, modelBreakdowns."""
    models = [u for u in group.usages if u.model is not None]
    breakdowns = sorted(models, key=lambda u: -u.cost)  # stable: ties keep first-seen order
    return {
        **group.keys,
        **_tokens(group.usages),
        "totalCost": group.cost,
        "modelsUsed": [u.model for u in models],
        "modelBreakdowns": [{
            "modelName": u.model,
            "inputTokens": u.input_tokens,
            "outputTokens": u.output_tokens,
            "cacheCreationTokens": u.cache_creation_tokens,
            "cacheReadTokens": u.cache_read_tokens,
            "cost": u.cost,
        } for u in breakdowns],
    }


def totals_json(groups: list[Group]) -> dict:
    """The `totals` object: token counts and cost over every row (no models, as in ccusage)."""
    usages = [u for g in groups for u in g.usages]
    # Rust's f64 sum starts at -0.0: ccusage writes `-0.0` for an empty report, and so do we
    return {**_tokens(usages), "totalCost": _sum((g.cost for g in groups), -0.0)}


def day_groups(rows: list[tuple[str, str | None, Usage]]) -> list[Group]:
    """One Group per (day, project) from `warehouse.day_usage`, oldest first."""
    groups: dict[tuple, Group] = {}
    for day, project, usage in rows:
        keys = {"date": day} if project is None else {"date": day, "project": project}
        groups.setdefault((day, project), Group(keys)).add(usage)
    return list(groups.values())


def week_start(day: str, start_of_week: str) -> str:
    """The first day (YYYY-MM-DD) of the week holding `day`, weeks starting on `start_of_week`."""
    d = date.fromisoformat(day)
    from_sunday = (d.isoweekday() % 7 - WEEKDAYS.index(start_of_week)) % 7
    return (d - timedelta(days=from_sunday)).isoformat()


def bucket_groups(days: list[Group], key: str, start_of_week: str = "sunday") -> list[Group]:
    """Daily Groups summed into `week` or `month` Groups (in the daily rows' order), oldest first."""
    buckets: dict[tuple, Group] = {}
    for g in days:
        day = g.keys["date"]
        bucket = day[:7] if key == "month" else week_start(day, start_of_week)
        keys = {key: bucket, **({"project": g.keys["project"]} if "project" in g.keys else {})}
        target = buckets.setdefault((keys.get("project") or "", bucket), Group(keys))
        for usage in g.usages:
            target.add(usage)
    return sorted(buckets.values(), key=lambda g: (g.keys.get("project") or "", g.keys[key]))


def ordered(groups: list[Group], key: str, order: str) -> list[Group]:
    """Rows by `key` (a date, week or month), oldest first for `asc`, newest first for `desc`."""
    return sorted(groups, key=lambda g: g.keys[key], reverse=(order == "desc"))


def by_project_json(groups: list[Group]) -> dict:
    """`--instances`: rows grouped under their project, projects by name (ccusage's `projects`)."""
    out: dict[str, list] = {}
    for g in groups:
        out.setdefault(g.keys.get("project") or "unknown", []).append(row_json(g))
    return dict(sorted(out.items()))
