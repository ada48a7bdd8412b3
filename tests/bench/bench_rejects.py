"""Benchmark: rejecting invalid transcript lines against landing valid ones.

Usage: python tests/bench/bench_rejects.py [--lines 200000] [--runs 3] [--work DIR]

Writes one transcript of N valid records (the floor), one of the same records cut by two bytes,
and one of object-shaped invalid lines (`{..., oops}`), and times `extract` alone (no dbt) into
a new warehouse for each; reports medians.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from pathlib import Path

import duckdb

from chatlake.extract import extract

GOOD = {"type": "user", "uuid": "u", "sessionId": "s-bench", "timestamp": "2026-05-01T10:00:00.000Z",
        "cwd": "/w", "isSidechain": False, "message": {"role": "user", "content": "a prompt of a few words"}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/chatlake-bench-rejects"))
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    valid = [json.dumps(dict(GOOD, uuid=f"u-{i}")) for i in range(args.lines)]
    sets = {"valid (floor)": valid, "cut by two bytes": [line[:-2] for line in valid],
            "object-shaped, invalid": [line[:-1] + ", oops}" for line in valid]}
    for i, lines in enumerate(sets.values()):
        folder = args.work / f"set-{i}" / "-w"
        folder.mkdir(parents=True)
        (folder / "s.jsonl").write_text("\n".join(lines) + "\n")
    times: dict[str, list[float]] = {name: [] for name in sets}
    for run in range(args.runs):
        for i, name in enumerate(sets):
            con = duckdb.connect(str(args.work / f"set-{i}-{run}.duckdb"))
            started = time.monotonic()
            result = extract(con, [args.work / f"set-{i}"])
            times[name].append(time.monotonic() - started)
            con.close()
            assert result.lines_landed + result.lines_rejected == args.lines, result
    for name, seconds in times.items():
        print(f"{name:<24} {statistics.median(seconds):6.2f} s   runs: {' / '.join(f'{s:.2f}' for s in seconds)}")
    shutil.rmtree(args.work, ignore_errors=True)


if __name__ == "__main__":
    main()
