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

from chatlake.config import project_dir
from chatlake.db import connect
from chatlake.errors import ChatlakeError

FORMATS = ("table", "csv", "json", "markdown")
_REF = re.compile(r"\{\{\s*ref\(\s*['\"](\w+)['\"]\s*\)\s*\}\}")
_JINJA = re.compile(r"\{\{|\{%")
_COMMENT = re.compile(r"\{#.*?#\}", re.S)


class QueryError(ChatlakeError):
    """DuckDB refused the query (syntax, unknown table, a write on a read-only connection)."""


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple]


def analyses_dir() -> Path:
    return project_dir() / "analyses"


def list_analyses() -> list[str]:
    return sorted(p.stem for p in analyses_dir().glob("*.sql"))


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
    lines += ["| " + " | ".join(esc(_cell(v)) for v in row) + " |" for row in result.rows]
    return "\n".join(lines) + "\n"


def to_table(result: QueryResult):
    from rich.table import Table

    table = Table(show_lines=False, highlight=False)
    for column in result.columns:
        table.add_column(column, overflow="fold")
    for row in result.rows:
        table.add_row(*(_cell(v) if v is not None else "[dim]null[/]" for v in row))
    return table


def repl(db: Path, fmt: str, show, allow_files: bool = False) -> None:
    """A prompt with history (arrow keys, ~/.local/share/chatlake/sql_history); `;` ends a query."""
    import readline

    from chatlake.config import data_dir

    history = data_dir() / "sql_history"
    try:
        readline.read_history_file(history)
    except OSError:
        pass
    buffer: list[str] = []
    try:
        while True:
            try:
                line = input("...> " if buffer else "chatlake> ")
            except KeyboardInterrupt:
                buffer = []
                print()
                continue
            if not buffer and line.strip().lower() in ("exit", "quit", ".quit", r"\q"):
                break
            buffer.append(line)
            text = "\n".join(buffer).strip()
            if not text.endswith(";"):
                continue
            buffer = []
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
