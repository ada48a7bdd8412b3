"""Benchmark of `chatlake search --text` (BM25 over message_terms) and of what the word index adds to an import.

Usage: python tests/bench/bench_text_search.py [--gib 1.0] [--queries 20] [--work DIR] [--scale 200000]

Generates (or reuses) bench_import.py's tree of --gib GiB, imports it cold through the CLI in a new
process, then appends to 5 transcripts and imports again. The index's share of each import is
dbt's own timing of the message_terms model (and, in the cold build, of its tests), read from
dbt's log beside the warehouse. Then, in this process, it times chatlake.search.search(mode="text")
as `chatlake search --text` calls it (open the warehouse read-only, analyse the query, one BM25
query, session titles), medians and 90th percentiles of --queries runs of each query shape, and
`chatlake search --text` end to end in new processes.

The generated tree's prompts draw on a few dozen words; --scale N then imports, into a second
warehouse, N prompts in sessions of 100 whose words follow Zipf's law over a 30,000-word
vocabulary, one in 50 of them a 12 KB paste, and times the same way the commonest words (the
longest posting lists), rare ones, a phrase and an exclusion.
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_import import generate  # noqa: E402

import duckdb  # noqa: E402

from chatlake.example.transcripts import append_session_turns  # noqa: E402
from chatlake.search import search  # noqa: E402
from chatlake.transform.dbt import dbt_work_dir  # noqa: E402

QUERIES = {
    "two common words": "fix the failing test",
    "one rare word": "summary",
    "no match (stop words + unknown)": "the zzqqxx with",
    "phrase": '"print summary"',
    "words and an exclusion": "trace load -main",
    "five words": "build trace print summary load",
}


def index_seconds(log: Path, since: int) -> tuple[float, float]:
    """Seconds dbt spent on the message_terms model and on its tests, in the log written after `since`."""
    model = tests = 0.0
    with open(log, "rb") as fh:
        fh.seek(since)
        for line in fh.read().decode(errors="replace").splitlines():
            found = re.search(r"\[(?:OK|PASS|SUCCESS)[^\]]* in ([\d.]+)s\]", line)
            if not found or "message_terms" not in line:
                continue
            if "model main.message_terms" in line:
                model += float(found.group(1))
            else:
                tests += float(found.group(1))
    return model, tests


def cli(*args: str) -> float:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "chatlake.cli", *args], capture_output=True, text=True,
                          cwd=tempfile.gettempdir())
    if proc.returncode != 0:
        raise SystemExit(f"chatlake {' '.join(args)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return time.monotonic() - started


def zipf_tree(root: Path, n: int) -> list[str]:
    """N prompts (see the module's docstring) under `root`; returns the vocabulary, commonest first."""
    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = list(dict.fromkeys("".join(rng.choices(letters, k=rng.randint(3, 10))) for _ in range(32_000)))
    vocabulary = vocabulary[:30_000]
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    cumulative = list(itertools.accumulate(weights))
    marker = root / ".complete"
    if marker.exists():
        return vocabulary
    for session in range(0, n, 100):
        sid = f"c{session:07d}-0000-4000-8000-000000000000"
        prompts = []
        for i in range(min(100, n - session)):
            size = 2000 if (session + i) % 50 == 0 else rng.randint(3, 30)
            prompts.append(" ".join(rng.choices(vocabulary, cum_weights=cumulative, k=size)))
        path = root / f"-home-dev-p{session // 10_000}" / f"{sid}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        append_session_turns(path, sid, prompts)
    marker.write_text("ok")
    return vocabulary


def time_queries(db: Path, queries: dict[str, str], n: int) -> None:
    for name, text in queries.items():
        search(text, db=db, mode="text", k=10)  # warm-up
        ms = []
        for _ in range(n):
            started = time.perf_counter()
            search(text, db=db, mode="text", k=10)
            ms.append((time.perf_counter() - started) * 1000)
        print(f"{name:<34} {stats(ms)}")


def describe(db: Path) -> None:
    con = duckdb.connect(str(db), read_only=True)
    messages, text_mb = con.execute("select count(*), sum(strlen(content)) / 1e6 from human_messages").fetchone()
    rows, terms = con.execute("select count(*), count(distinct term) from message_terms").fetchone()
    con.close()
    print(f"warehouse: {messages:,} messages ({text_mb:.1f} MB of text), message_terms {rows:,} rows,"
          f" {terms:,} distinct terms, file {db.stat().st_size / 1e6:.0f} MB")


def stats(ms: list[float]) -> str:
    p90 = statistics.quantiles(ms, n=10)[-1] if len(ms) > 2 else max(ms)
    return f"median {statistics.median(ms):7.1f} ms   p90 {p90:7.1f} ms   (n={len(ms)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=1.0)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--scale", type=int, default=0)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "chatlake-bench-fts")
    args = parser.parse_args()

    tree = args.work / f"tree-{args.gib:g}"
    files, size = generate(tree, args.gib)
    db = args.work / "wh" / "chatlake.duckdb"
    for stale in db.parent.glob("*"):
        if stale.is_file():
            stale.unlink()
    log = dbt_work_dir(db) / "logs" / "dbt.log"
    print(f"tree: {files:,} files, {size / 1e9:.2f} GB")

    cold = cli("import", str(tree), "--db", str(db))
    model, tests = index_seconds(log, 0)
    print(f"cold import {cold:.1f} s; message_terms model {model:.2f} s, its tests {tests:.2f} s")

    offset = log.stat().st_size
    rng = random.Random(3)
    for path in rng.sample(sorted(tree.rglob("*.jsonl")), 5):
        sid = path.stem
        append_session_turns(path, sid, [f"appended prompt {i} about the flaky deploy" for i in range(3)])
    append = cli("import", str(tree), "--db", str(db))
    model_append, _ = index_seconds(log, offset)
    print(f"append import {append:.1f} s; message_terms model {model_append:.2f} s")

    describe(db)
    time_queries(db, QUERIES, args.queries)
    ends = [cli("search", QUERIES["two common words"], "--text", "--db", str(db)) * 1000 for _ in range(5)]
    print(f"{'CLI end to end (new process)':<34} {stats(ends)}")

    if args.scale:
        zipf = args.work / f"zipf-{args.scale}"
        vocabulary = zipf_tree(zipf, args.scale)
        scaled = args.work / "wh-zipf" / "chatlake.duckdb"
        for stale in scaled.parent.glob("*"):
            if stale.is_file():
                stale.unlink()
        log = dbt_work_dir(scaled) / "logs" / "dbt.log"
        cold = cli("import", str(zipf), "--db", str(scaled))
        model, tests = index_seconds(log, 0)
        print(f"--scale {args.scale:,}: cold import {cold:.1f} s; message_terms model {model:.2f} s,"
              f" its tests {tests:.2f} s")
        describe(scaled)
        time_queries(scaled, {
            "two commonest words": f"{vocabulary[0]} {vocabulary[1]}",
            "five common words": " ".join(vocabulary[2:7]),
            "one rare word": vocabulary[20_000],
            "common word, phrase": f'"{vocabulary[0]} {vocabulary[1]}"',
            "common word minus another": f"{vocabulary[0]} -{vocabulary[1]}",
        }, args.queries)


if __name__ == "__main__":
    main()
