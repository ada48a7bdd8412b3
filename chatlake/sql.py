"""Ad-hoc SQL on the warehouse: one query on a read-only connection, printed as a table, CSV, JSON or Markdown."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from chatlake.core.settings import project_dir
from chatlake.core.db import connect
from chatlake.core.errors import ChatlakeError, UsageError

FORMATS = ("table", "csv", "json", "markdown")
_REF = re.compile(r"\{\{\s*ref\(\s*['\"](\w+)['\"]\s*\)\s*\}\}")
_JINJA = re.compile(r"\{\{|\{%")
_COMMENT = re.compile(r"\{#.*?#\}", re.S)


class QueryError(ChatlakeError):
    """DuckDB refused the query (syntax, unknown table, a write on a read-only connection)."""


class EmptyQuery(UsageError):
    """The query holds no statement: empty, only `;`, or only comments."""


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple]


def analyses_dir() -> Path:
    return project_dir() / "analyses"


def list_analyses() -> list[str]:
    return sorted(p.stem for p in analyses_dir().glob("*.sql"))


def analysis_description(name: str) -> str:
    """The analysis's opening `-- ...` comment line, or "" when it has none."""
    for line in (analyses_dir() / f"{name}.sql").read_text().splitlines():
        if line.strip():
            return line.strip()[2:].strip() if line.strip().startswith("--") else ""
    return ""


def is_empty(sql: str) -> bool:
    """True when DuckDB finds no statement in `sql` (DuckDB's own parser, so its comment rules)."""
    import duckdb

    try:
        return not duckdb.extract_statements(sql)
    except duckdb.Error:
        return False  # a syntax error: let the query itself report it


def compile_analysis_sql(text: str) -> str:
    """dbt's Jinja reduced to what the analyses use: `{{ ref('x') }}` becomes `main.x` (marts live in main)."""
    sql = _REF.sub(lambda m: f"main.{m.group(1)}", _COMMENT.sub("", text))
    if _JINJA.search(sql):
        raise ChatlakeError("this analysis uses Jinja beyond ref(); run it with `dbt compile` instead")
    return sql


def analysis_sql(name: str) -> str:
    """The SQL of analyses/NAME.sql, ready for DuckDB."""
    path = analyses_dir() / f"{name}.sql"
    if not re.fullmatch(r"[\w-]+", name) or not path.is_file():
        raise ChatlakeError(f"no analysis named {name!r}; there are: {', '.join(list_analyses())}")
    return compile_analysis_sql(path.read_text())


def run_query(db: Path, sql: str, wait: float = 0.0, allow_files: bool = False) -> QueryResult:
    """Run one query on a short-lived read-only connection; unless `allow_files`, one that reads
    and writes no file but the warehouse (no COPY TO, EXPORT, ATTACH, read_text, extensions)."""
    import duckdb

    if is_empty(sql):
        raise EmptyQuery("the query is empty (nothing but spaces, `;` or comments)")
    con = connect(db, read_only=True, wait=wait, sandboxed=not allow_files)
    try:
        cursor = con.execute(sql)
        if cursor.description is None:
            return QueryResult([], [])
        return QueryResult([d[0] for d in cursor.description], cursor.fetchall())
    except duckdb.Error as exc:
        raise QueryError(" ".join(str(exc).split())) from None
    finally:
        con.close()


def _plain(value):
    """A JSON-ready value: timestamps as ISO text, decimals as numbers, nested lists kept."""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return value


def _cell(value) -> str:
    if value is None:
        return ""
    plain = _plain(value)
    return json.dumps(plain) if isinstance(plain, (list, dict)) else str(plain)


def to_csv(result: QueryResult) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows([_cell(v) for v in row] for row in result.rows)
    return buf.getvalue()


def to_json(result: QueryResult) -> str:
    return json.dumps([dict(zip(result.columns, map(_plain, row))) for row in result.rows], indent=2,
                      ensure_ascii=False) + "\n"


def to_markdown(result: QueryResult) -> str:
    def esc(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(esc(c) for c in result.columns) + " |",
             "|" + "|".join(" --- " for _ in result.columns) + "|"]
    lines += ["| " + " | ".join(esc(_human(v)) for v in row) + " |" for row in result.rows]
    return "\n".join(lines) + "\n"


def _human(value) -> str:
    """A cell for people: timestamps in local time to the second, like status and search."""
    if isinstance(value, datetime):
        moment = value.astimezone() if value.tzinfo else value
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    return _cell(value)


def to_table(result: QueryResult, cut: int | None = None):
    """A rich table; `cut` (a screen width) keeps each cell on one line, shortened with … to fit,
    with no column narrower than its share of the screen unless its values are shorter."""
    from rich.table import Table
    from rich.text import Text

    rows = [[None if v is None else _human(v) for v in row] for row in result.rows]
    if cut:
        rows = [[None if text is None else " ".join(text.split()) for text in row] for row in rows]
    share = max(4, (cut or 0) // max(len(result.columns), 1) - 3)
    table = Table(show_lines=False, highlight=False)
    for i, column in enumerate(result.columns):
        natural = max([len(column)] + [len(row[i]) for row in rows if row[i] is not None])
        header = Text(column, no_wrap=True, overflow="ellipsis") if cut else Text(column)
        table.add_column(header, overflow="fold", min_width=min(natural, share) if cut else None)
    for row in rows:
        table.add_row(*(Text("null", style="dim") if text is None else
                        Text(text, no_wrap=True, overflow="ellipsis") if cut else Text(text) for text in row))
    return table


# one line at 80 columns
BANNER = "chatlake sql: end a query with `;`. Also: .tables, help, exit."
HELP = """\
A query ends with `;` and may span lines; arrow keys recall earlier ones.
  .tables          the tables and views, the marts first
  help             this text
  exit, quit, \\q   leave (so does Ctrl+D); Ctrl+C drops the query being typed
Start with: select * from human_messages order by created_at desc limit 10;"""


def table_groups(db: Path) -> list[tuple[str, list[str]]]:
    """The warehouse's tables and views grouped for people: marts, raw, embed, then dbt's own steps."""
    con = connect(db, read_only=True)
    try:
        names = [f"{schema}.{name}" for schema, name in con.execute(
            "select schema_name, table_name from duckdb_tables() where not internal union all "
            "select schema_name, view_name from duckdb_views() where not internal order by 1, 2").fetchall()]
    finally:
        con.close()

    def group(name: str) -> str:
        schema, table = name.split(".", 1)
        if schema == "main" and not table.startswith(("stg_", "int_")):
            return "marts"
        return schema if schema in ("raw", "embed") else "dbt steps"

    # the marts people query most come first, the rest by name
    first = ["main.human_messages", "main.sessions", "main.assistant_responses", "main.tool_calls", "main.usage_daily"]
    names.sort(key=lambda n: (first.index(n) if n in first else len(first), n))
    order = ["marts", "raw", "embed", "dbt steps"]
    return [(g, [n for n in names if group(n) == g]) for g in order if any(group(n) == g for n in names)]


def print_tables(db: Path) -> None:
    import shutil
    import textwrap

    width = shutil.get_terminal_size().columns
    for label, names in table_groups(db):
        print(textwrap.fill(", ".join(names), width=width, initial_indent=f"{label}: ",
                            subsequent_indent=" " * (len(label) + 2), break_on_hyphens=False))


def repl(db: Path, fmt: str, show, allow_files: bool = False) -> None:
    """A prompt with history (arrow keys, ~/.local/share/chatlake/sql_history); `;` ends a query."""
    import readline

    from chatlake.core.settings import data_dir

    history = data_dir() / "sql_history"
    try:
        readline.read_history_file(history)
    except OSError:
        pass
    print(BANNER)
    buffer: list[str] = []
    try:
        while True:
            try:
                line = input("...> " if buffer else "chatlake> ")
            except KeyboardInterrupt:
                buffer = []
                print()
                continue
            word = line.strip().rstrip(";").strip().lower()
            if not buffer and word in ("exit", "quit", ".quit", r"\q"):
                break
            if not buffer and word in ("help", ".help", "?"):
                print(HELP)
                continue
            if not buffer and word == ".tables":
                try:
                    print_tables(db)
                except ChatlakeError as exc:
                    print(f"error: {exc}")
                continue
            buffer.append(line)
            text = "\n".join(buffer).strip()
            if not text.endswith(";"):
                continue
            buffer = []
            if is_empty(text):  # a stray `;`: nothing to run, and no reason to complain
                continue
            try:
                show(run_query(db, text, allow_files=allow_files), fmt)
            except ChatlakeError as exc:
                print(f"error: {exc}")
    except EOFError:
        print()
    finally:
        history.parent.mkdir(parents=True, exist_ok=True)
        readline.set_history_length(1000)
        readline.write_history_file(history)
