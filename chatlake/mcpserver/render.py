"""What the assistant reads: tool answers as compact text (fewer tokens than JSON, as plain to a model).

Pure functions of the libraries' results; redaction happens in the server, on the finished text.
"""

from __future__ import annotations

from datetime import datetime, timezone

from chatlake.sql import QueryResult, to_csv


def when(moment: datetime | None) -> str:
    """An instant in UTC to the second, `2026-05-01T10:00:03Z`; `?` when unknown."""
    if moment is None:
        return "?"
    if moment.tzinfo is None:  # DuckDB hands back naive timestamps as UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rank(hit, mode: str) -> str:
    if mode == "hybrid" and hit.score is not None:
        return f"score={hit.score:.4f}"
    if hit.similarity is not None:
        return f"similarity={hit.similarity:.3f}"
    if hit.score is not None:
        return f"bm25={hit.score:.2f}"
    return ""


def hits_text(query: str, mode: str, hits: list, indexes: dict[str, int], note: str | None = None) -> str:
    """Each hit as a header line (where to find it, what it is, its score), its title and snippet."""
    head = f"{len(hits)} hit{'s' if len(hits) != 1 else ''} for {query!r} ({mode} search)"
    lines = [head + (f"; note: {note}" if note else "")]
    for n, hit in enumerate(hits, 1):
        index = indexes.get(hit.message_uuid)
        fields = [f"session={hit.session_id}", f"message={'?' if index is None else index}",
                  f"date={when(hit.created_at)}", f"project={hit.project_path or '-'}"]
        if hit.git_branch:
            fields.append(f"branch={hit.git_branch}")
        fields += [f"kind={hit.kind}", f"source={hit.source or '?'}", _rank(hit, mode)]
        lines.append(f"{n}. " + " ".join(f for f in fields if f))
        if hit.title:
            lines.append(f"   title: {' '.join(hit.title.split())}")
        lines.append(f"   {hit.snippet}")
    if not hits:
        lines.append("no matches: try other words, mode=text for exact words, or fewer filters")
    return "\n".join(lines)


def rows_text(result: QueryResult, more_rows: bool, max_chars: int, clean=lambda text: text) -> str:
    """The rows as CSV with a header, then one line that says how many rows and what was cut.

    `clean` (the redaction) sees the whole text before it is cut: half a key no longer looks like one.
    """
    if not result.columns:
        return "the statement returned no rows"
    body = clean(to_csv(result))
    cut = len(body) > max_chars
    if cut:  # at a line's end when one is near, so no row is left half
        end = body.rfind("\n", 0, max_chars)
        body = body[:end + 1 if end > max_chars // 2 else max_chars]
    shown = body.count("\n") - 1 if cut else len(result.rows)
    rows = f"{len(result.rows)} row{'s' if len(result.rows) != 1 else ''}"
    if cut:
        footer = (f"({rows} fetched, cut at {max_chars:,} characters after about {max(shown, 0)} rows:"
                  " select fewer columns, shorter text such as left(content, 200), or aggregate)")
    elif more_rows:
        footer = f"(the first {rows}; more rows match: add a LIMIT, a filter or an aggregate)"
    else:
        footer = f"({rows})"
    return body.rstrip("\n") + "\n" + footer


def status_text(s) -> str:
    """What the warehouse holds, how fresh it is, and what is embedded, one fact a line."""
    lines = [f"warehouse: {s.db}", f"sessions: {s.sessions:,}"]
    kinds = ", ".join(f"{k} {n:,}" for k, n in s.by_kind.items())
    lines.append(f"human messages: {s.human_messages:,}" + (f" ({kinds})" if kinds else ""))
    if s.first_activity:
        lines.append(f"activity: {when(s.first_activity)} to {when(s.last_activity)}")
    li = s.last_import
    if li:
        lines.append(f"last import: finished {when(li.get('finished_at') or li.get('started_at'))},"
                     f" {li['lines_landed']:,} lines landed from {li['files_new']:,} new and"
                     f" {li['files_appended']:,} appended files")
    else:
        lines.append("last import: none recorded")
    lines.append(f"transcript files: {s.files_seen:,}; rejected lines: {s.rejected_lines:,}")
    if s.export_files or s.rejected_conversations:
        lines.append(f"exports: {s.export_files:,} files, {s.conversations:,} conversations,"
                     f" {s.rejected_conversations:,} rejected")
    if not s.embeddings:
        lines.append("embeddings: none (search uses words only)")
    for m in s.embeddings:
        lines.append(f"embeddings: {m.model} in {m.target}: {m.embedded:,} embedded, {m.remaining:,} remaining")
    return "\n".join(lines)


_TOKENS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")


def _csv(rows: list[list]) -> str:
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().rstrip("\n")


def _figures(item: dict, cost_key: str) -> list:
    tokens = [item[k] for k in _TOKENS]
    return [*tokens, sum(tokens), round(item[cost_key], 4)]


def usage_text(report, breakdown: bool = False) -> str:
    """A usage report (ccusage's figures) as CSV: a row per period or session, per model with
    `breakdown`, then the totals; blocks with their burn rate when one is active."""
    from chatlake.usage.table import ESTIMATE, KEYS, LISTS, TITLES

    head = f"token usage {TITLES[report.kind][1]} (days in {report.timezone}). {ESTIMATE}"
    if report.missing_prices:
        head += f" No price known for {', '.join(report.missing_prices)}: counted at $0."
    if report.kind == "blocks":
        return head + "\n" + _blocks_text(report.data["blocks"])
    rows = report.data[LISTS[report.kind]]
    if not rows:
        return head + "\nno usage recorded for these filters"
    key = KEYS[report.kind]
    extra = ["projectPath", "lastActivity"] if report.kind == "session" else ["project"] if "project" in rows[0] else []
    numbers = ["input", "output", "cache_write", "cache_read", "total_tokens", "cost_usd"]
    table = [[key, *extra, "model", *numbers]]
    for row in rows:
        keys = [row[key], *(row.get(name) for name in extra)]
        table.append([*keys, " ".join(row["modelsUsed"]) or "-", *_figures(row, "totalCost")])
        if breakdown:
            table += [[*keys, b["modelName"], *_figures(b, "cost")] for b in row["modelBreakdowns"]]
    table.append(["total", *([""] * len(extra)), "", *_figures(report.data["totals"], "totalCost")])
    return head + "\n" + _csv(table) + (f"\n(with breakdown: the row of all models, then one per model)"
                                        if breakdown else "")


def _blocks_text(blocks: list[dict]) -> str:
    if not blocks:
        return "no usage recorded for these filters"
    table = [["start", "end", "active", "responses", "total_tokens", "cost_usd", "models"]]
    notes = []
    for b in blocks:
        if b["isGap"]:
            table.append([b["startTime"], b["endTime"], "gap", 0, 0, 0, ""])
            continue
        table.append([b["startTime"], b["actualEndTime"], "yes" if b["isActive"] else "", b["entries"],
                      b["totalTokens"], round(b["costUSD"], 4), " ".join(b["models"])])
        if b["burnRate"] and b["projection"]:
            rate, end = b["burnRate"], b["projection"]
            notes.append(f"active block from {b['startTime']}: {rate['tokensPerMinute']:,.0f} tokens/min,"
                         f" ${rate['costPerHour']:.2f}/h; at that rate {end['totalTokens']:,} tokens and"
                         f" ${end['totalCost']:.2f} by its end, {end['remainingMinutes']} min from now")
    return "\n".join([_csv(table), *notes])
