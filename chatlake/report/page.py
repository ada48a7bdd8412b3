"""The report as one HTML file: styles, Vega's JavaScript and the data inline, nothing fetched."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from html import escape
from pathlib import Path

from chatlake.report.charts import charts
from chatlake.report.data import ReportData

STYLE = """
:root { --fg: #1d1d1f; --dim: #6e6e73; --line: #e5e5ea; --card: #f5f5f7; --bg: #fff; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
       font: 15px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.6rem; margin: 0; } h2 { font-size: 1.15rem; margin: 0 0 .1rem; }
.sub, .note { color: var(--dim); font-size: .875rem; }
.totals { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: .75rem; margin: 1.25rem 0; }
.total { background: var(--card); border-radius: .6rem; padding: .7rem .9rem; }
.total .n { font-size: 1.45rem; font-weight: 650; font-variant-numeric: tabular-nums; }
.total .what { color: var(--dim); font-size: .8rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(30rem, 1fr)); gap: 1.5rem 2rem; }
@media (max-width: 40rem) { .grid { grid-template-columns: 1fr; } }
section { min-width: 0; }
.chart { width: 100%; margin-top: .5rem; }
.empty { color: var(--dim); font-style: italic; padding: 1rem 0; }
.wide { grid-column: 1 / -1; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .875rem; margin-top: .5rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--dim); font-weight: 500; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .8rem; white-space: nowrap; }
footer { margin-top: 2.5rem; color: var(--dim); font-size: .8rem; }
"""

# Draws every chart once the page has loaded; the specs are inline JSON, the library the bundle.
_DRAW = """
for (const el of document.querySelectorAll('script[type="application/json"][data-chart]')) {
  const target = document.getElementById(el.dataset.chart);
  vegaEmbed(target, JSON.parse(el.textContent), {renderer: 'svg', actions: false})
    .catch(err => { target.textContent = 'This chart could not be drawn: ' + err; });
}
"""


def vega_bundle(cache_dir: Path) -> str:
    """Vega, Vega-Lite and vega-embed as one script, from vl-convert (bundled once per version, then cached)."""
    from importlib.metadata import version

    # the version from the package's metadata: a cached bundle is read without loading vl-convert
    path = cache_dir / f"vega-bundle-{version('vl-convert-python')}.js"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        pass
    import vl_convert

    bundle = vl_convert.javascript_bundle()
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(bundle)
        os.replace(tmp, path)  # whole or not at all, even when two reports run at once
    except OSError:
        pass  # a cache we cannot write costs time, not the report
    return bundle


def _script_json(value: object) -> str:
    """JSON that cannot end its <script> element early."""
    return json.dumps(value, default=str, separators=(",", ":")).replace("</", "<\\/")


def _money(value: float | None) -> str:
    if value is None:
        return "–"
    return f"${value:,.0f}" if value >= 100 else f"${value:,.2f}"


def _count(value: int | None) -> str:
    if value is None:
        return "–"
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e4, "k")):
        if value >= size:
            scaled = value / (1e3 if unit == "k" else size)
            return f"{scaled:,.0f}{unit}" if scaled >= 100 else f"{scaled:,.1f}{unit}"
    return f"{value:,}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes = int(seconds // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else "–"


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _show(session_id: str) -> str:
    return f"<code>chatlake show {escape(session_id[:8])}</code>"


def _totals(data: ReportData) -> str:
    t = data.totals
    cards = [
        (_count(t.get("prompts", 0)), "prompts"), (_count(t.get("sessions", 0)), "sessions"),
        (_count(t.get("projects", 0)), "projects"), (_count(t.get("active_days", 0)), "active days"),
    ]
    if data.has_usage:
        cards += [(_count(t.get("tokens")), "tokens"), (_money(t.get("cost")), "API-price estimate"),
                  (f"{t['cache_share']:.0%}" if t.get("cache_share") is not None else "–", "input from cache")]
    cards.append((_count(t.get("tool_calls", 0)), "tool calls"))
    if "only_in_chatlake" in t:
        cards.append((_count(t["only_in_chatlake"]), "kept only here"))
    return '<div class="totals">' + "".join(
        f'<div class="total"><div class="n">{escape(n)}</div><div class="what">{escape(what)}</div></div>'
        for n, what in cards) + "</div>"


def _table(head: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    if not rows:
        return '<div class="empty">nothing in this range</div>'
    ths = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f'<div class="scroll"><table><thead><tr>{ths}</tr></thead><tbody>{body}</tbody></table></div>'


def _title(row: dict) -> str:
    return escape(row.get("title") or row["session_id"])


def _project(path: str | None, source: str | None = None) -> str:
    return f'<span title="{escape(path)}">{escape(Path(path).name or path)}</span>' if path else escape(source or "")


def _sessions_tables(data: ReportData) -> str:
    parts = []
    if data.has_usage:
        parts.append('<section class="wide"><h2>Most expensive sessions</h2>'
                     '<div class="note">API-price estimate; open one with the command beside it</div>' + _table(
                         ["session", "project", "prompts", "tokens", "cost", "open"],
                         [[_title(r), _project(r["project_path"], r["source"]), f"{r['prompts'] or 0:,}",
                           _count(r["tokens"]), _money(r["cost"]), _show(r["session_id"])]
                          for r in data.expensive_sessions], {2, 3, 4}) + "</section>")
    parts.append('<section class="wide"><h2>Longest sessions</h2>'
                 '<div class="note">from the first record to the last</div>' + _table(
                     ["session", "project", "started", "length", "prompts", "open"],
                     [[_title(r), _project(r["project_path"], r["source"]), _when(r["first_at"]),
                       _duration(r["seconds"]), f"{r['prompts']:,}", _show(r["session_id"])]
                      for r in data.longest_sessions], {3, 4}) + "</section>")
    return "".join(parts)


def _retention(data: ReportData) -> str:
    if "only_in_chatlake" not in data.totals:
        return ""
    gone = _table(["session", "project", "last activity", "open"],
                  [[_title(h.__dict__), _project(h.project_path), _when(h.last_at), _show(h.session_id)]
                   for h in data.deleted[:20]], set())
    soon = _table(["session", "project", "deleted by Claude Code", "open"],
                  [[_title(h.__dict__), _project(h.project_path), _when(h.deletes_at), _show(h.session_id)]
                   for h in data.expiring[:20]], set())
    more = lambda rows: f'<div class="note">and {len(rows) - 20:,} more</div>' if len(rows) > 20 else ""  # noqa: E731
    return (f'<section class="wide" id="retention"><h2>Kept only by chatlake</h2>'
            f'<div class="note">{_n(len(data.deleted), "session")} whose transcript Claude Code has already deleted '
            f'(its cleanup takes files untouched for {data.cleanup_days} days, '
            '<code>cleanupPeriodDays</code> in <code>~/.claude/settings.json</code>)</div>'
            f"{gone}{more(data.deleted)}"
            f'<h2 style="margin-top:1.25rem">Deleted within 7 days</h2>'
            f'<div class="note">{_n(len(data.expiring), "session")} that Claude Code will delete in the next 7 days; '
            "chatlake keeps them</div>"
            f"{soon}{more(data.expiring)}</section>")


def render(data: ReportData, bundle: str) -> str:
    """The whole page."""
    sections, specs = [], []
    for cid, title, note, spec in charts(data):
        body = f'<div class="chart" id="{cid}"></div>' if spec else '<div class="empty">nothing to draw in this range</div>'
        sections.append(f'<section><h2>{escape(title)}</h2><div class="note">{escape(note)}</div>{body}</section>')
        if spec:
            specs.append(f'<script type="application/json" data-chart="{cid}">{_script_json(spec)}</script>')
    scope = data.filters.describe() or "everything in the warehouse"
    first = min((r["day"] for r in data.prompts_per_day), default=None)
    last = max((r["day"] for r in data.prompts_per_day), default=None)
    span = f"{first} to {last}" if first else "no prompts yet"
    script = bundle.replace("</script", "<\\/script")  # the bundle must not end its own element
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>chatlake report</title><style>{STYLE}</style></head><body><main>"
        f"<h1>Your AI coding history</h1><div class=\"sub\">{escape(span)} · {escape(scope)}</div>"
        f"{_totals(data)}<div class=\"grid\">{''.join(sections)}{_sessions_tables(data)}{_retention(data)}</div>"
        f"<footer>Written by chatlake on {escape(_when(data.generated_at))}. "
        "Costs are estimates at API list prices. This page works offline and sends nothing anywhere.</footer>"
        f"</main>{''.join(specs)}<script>{script}</script><script>{_DRAW}</script>"
        "</body></html>\n")
