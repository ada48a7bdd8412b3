"""Benchmark of `chatlake mcp`: tool calls timed through the protocol, on the 1 GiB benchmark tree's warehouse.

Usage: python tests/bench/bench_mcp.py [--db WAREHOUSE] [--gib 1.0] [--work DIR] [--runs 15]

Without --db, generates (or reuses) bench_import.py's tree of --gib GiB under --work and imports it.
Starts the real `chatlake mcp --db ...` over stdio with the real `mcp` client and times, after a
warm-up, --runs calls of each: `search` in text mode (the issue's target: under 300 ms), a
`get_session` window of 10 messages (target: under 200 ms), `status` and a small `sql` query. In
the same run, the floors: the same library calls in this process (what `chatlake search --text` and
`chatlake show` pay once Python is up), a DuckDB open and close of the warehouse (each call opens
its own connection), and a `tools/list` round trip (the protocol's own cost).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import duckdb  # noqa: E402
from bench_text_search import QUERIES  # noqa: E402  (the same queries, so the figures compare)
from mcp import Client, StdioServerParameters  # noqa: E402


def stats(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered) * 1000:,.0f} ms | {p90 * 1000:,.0f} ms"


def warehouse(args) -> Path:
    if args.db:
        return Path(args.db).resolve()
    from bench_import import generate

    work = Path(args.work)
    tree = work / f"tree-{args.gib:g}gib"
    files, size = generate(tree, args.gib)
    db = work / f"mcp-{args.gib:g}gib.duckdb"
    if not db.exists():
        print(f"importing {files:,} files, {size / 1e9:.2f} GB ...", flush=True)
        subprocess.run([str(Path(sys.executable).with_name("chatlake")), "import", str(tree), "--db", str(db),
                        "--quiet"], check=True, cwd=tempfile.gettempdir())
    return db


def picks(db: Path, n: int, seed: int = 18) -> list[tuple[str, int]]:
    """(session, start) pairs: the longest sessions, a window of 10 messages inside each."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("select session_id, human_message_count from main.sessions"
                           " order by human_message_count desc, session_id limit 100").fetchall()
    finally:
        con.close()
    rng = random.Random(seed)
    return [(sid, rng.randrange(0, max(1, count - 10))) for sid, count in rng.sample(rows, min(n, len(rows)))]


async def through_protocol(db: Path, runs: int, windows: list[tuple[str, int]]) -> dict[str, list[float]]:
    params = StdioServerParameters(command=str(Path(sys.executable).with_name("chatlake")),
                                   args=["mcp", "--db", str(db)], cwd=tempfile.gettempdir())
    times: dict[str, list[float]] = {}

    async def timed(label: str, tool: str | None, args: dict | None = None) -> None:
        started = time.perf_counter()
        if tool is None:
            await client.list_tools()
        else:
            result = await client.call_tool(tool, args or {})
            assert not result.is_error, result.content[0].text
        times.setdefault(label, []).append(time.perf_counter() - started)

    async with Client(params) as client:
        await client.call_tool("search", {"query": "warm up", "mode": "text"})
        await client.call_tool("get_session", {"session_id": windows[0][0]})
        for _ in range(runs):
            for name, query in QUERIES.items():
                await timed(f"search --text: {name}", "search", {"query": query, "mode": "text"})
            for sid, start in windows:
                await timed("get_session (10 messages, replies)", "get_session",
                            {"session_id": sid, "start": start, "count": 10})
                await timed("get_session (10 messages, replies and tools)", "get_session",
                            {"session_id": sid, "start": start, "count": 10, "include_tools": True})
            await timed("status", "status")
            await timed("sql (count by kind)", "sql",
                        {"query": "select kind, count(*) from human_messages group by kind"})
            await timed("tools/list (the protocol alone)", None)
    return times


def in_process(db: Path, runs: int, windows: list[tuple[str, int]]) -> dict[str, list[float]]:
    from chatlake.search import search
    from chatlake.show import load_conversation

    times: dict[str, list[float]] = {}

    def timed(label: str, call) -> None:
        started = time.perf_counter()
        call()
        times.setdefault(label, []).append(time.perf_counter() - started)

    search("warm up", db=db, mode="text")
    for _ in range(runs):
        for name, query in QUERIES.items():
            timed(f"library search(mode='text'): {name}", lambda: search(query, db=db, mode="text"))
        for sid, _start in windows:
            timed("library load_conversation (whole session)", lambda: load_conversation(sid, db=db))
        timed("duckdb open + close, read-only", lambda: duckdb.connect(str(db), read_only=True).close())
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db")
    parser.add_argument("--gib", type=float, default=1.0)
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "chatlake-bench"))
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    db = warehouse(args)
    windows = picks(db, 3)
    con = duckdb.connect(str(db), read_only=True)
    messages, sessions = con.execute("select (select count(*) from human_messages), count(*) from sessions").fetchone()
    con.close()
    print(f"warehouse: {db} ({db.stat().st_size / 1e6:,.0f} MB, {sessions:,} sessions, {messages:,} messages),"
          f" {args.runs} runs of each after a warm-up")
    protocol = asyncio.run(through_protocol(db, args.runs, windows))
    floors = in_process(db, args.runs, windows)
    print("\n| call | median | p90 |\n|---|---:|---:|")
    for label, seconds in {**protocol, **floors}.items():
        print(f"| {label} | {stats(seconds)} |")


if __name__ == "__main__":
    main()
