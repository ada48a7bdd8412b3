"""Benchmark: landing one huge line against the same bytes in ordinary lines.

Usage: python tests/bench/bench_huge_lines.py [--sizes 50,100,200] [--runs 3] [--work DIR]

For each size (MB) it writes a transcript holding one line of that size (a user record with a
pasted base64 image, compact JSON as Claude Code writes it) and, as the floor, a transcript of
the same size in 20 KB lines, and times `extract` alone (no dbt) into a fresh warehouse. It
reports medians, and the process's peak RSS for the huge-line runs.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

CHILD = """
import sys, time, resource
from pathlib import Path
import duckdb
from chatlake.extract import extract
con = duckdb.connect(sys.argv[2])
started = time.perf_counter()
result = extract(con, [Path(sys.argv[1])])
assert result.lines_rejected == 0 and result.files_failed == 0, result
print(time.perf_counter() - started, result.lines_landed,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def record(uuid: str, text: str) -> str:
    return json.dumps({"type": "user", "uuid": uuid, "sessionId": "s", "timestamp": "2026-05-01T10:00:00.000Z",
                       "cwd": "/w", "isSidechain": False, "message": {"role": "user", "content": text}},
                      separators=(",", ":"))


def write(root: Path, megabytes: int, huge: bool) -> Path:
    folder = root / f"{'huge' if huge else 'floor'}-{megabytes}" / "-w"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "s.jsonl"
    with open(path, "w") as out:
        if huge:
            out.write(record("u-0", "A" * (megabytes << 20)) + "\n")
        else:
            for i in range((megabytes << 20) // 20_000):
                out.write(record(f"u-{i}", "A" * 20_000) + "\n")
    return folder.parent


def run(tree: Path, work: Path) -> tuple[float, int, int]:
    db = work / "bench.duckdb"
    db.unlink(missing_ok=True)
    out = subprocess.run([sys.executable, "-c", CHILD, str(tree), str(db)], check=True, capture_output=True, text=True)
    seconds, lines, rss = out.stdout.split()[-3:]
    return float(seconds), int(lines), int(rss)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="50,100,200")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/chatlake-bench-huge"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"{'MB':>5} {'one line s':>11} {'20 KB lines s':>14} {'peak RSS MB':>12}")
    for megabytes in (int(s) for s in args.sizes.split(",")):
        huge, floor = write(args.work, megabytes, True), write(args.work, megabytes, False)
        huge_runs = [run(huge, args.work) for _ in range(args.runs)]
        floor_runs = [run(floor, args.work) for _ in range(args.runs)]
        print(f"{megabytes:>5} {statistics.median(r[0] for r in huge_runs):>11.2f}"
              f" {statistics.median(r[0] for r in floor_runs):>14.2f}"
              f" {statistics.median(r[2] for r in huge_runs):>12,}")
    shutil.rmtree(args.work, ignore_errors=True)


if __name__ == "__main__":
    main()
