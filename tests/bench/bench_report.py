"""Benchmark of `chatlake report` on the 1 GiB tree's warehouse: time to write the page, its size.

Usage: python tests/bench/bench_report.py [--gib 1.0] [--runs 5] [--work DIR] [--tree DIR]

Makes (or reuses) bench_import.py's tree and imports it once into a warehouse of its own, makes
Vega's bundle once (it is cached per vl-convert version in the data directory, as a user's second
report finds it), then times, alternating, `chatlake report -o FILE` as a user runs it (a new
process) and, beside it in the same runs, the floors: a Python that imports duckdb, opens the
warehouse and counts the human messages, and one that loads chatlake's command line (`import
chatlake.cli`, what every command pays before it starts). Prints medians.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_import import generate  # noqa: E402
from bench_usage import run  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--gib", type=float, default=1.0)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--work", type=Path, default=Path("/tmp/chatlake-bench"))
    ap.add_argument("--tree", type=Path, default=None, help="an existing tree (default: bench_import's, under --work)")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    root = args.tree or args.work / f"tree-{args.gib:g}gib"
    nfiles, nbytes = generate(root, args.gib) if args.tree is None else (
        len(list(root.rglob("*.jsonl"))), sum(p.stat().st_size for p in root.rglob("*.jsonl")))
    script = Path(sys.executable).with_name("chatlake")
    chatlake = [str(script)] if script.exists() else [sys.executable, "-m", "chatlake.cli"]
    db = args.work / f"report-{args.gib:g}gib.duckdb"
    data = args.work / "report-data"
    env = {**os.environ, "XDG_DATA_HOME": str(data)}
    if not (args.work / f"{db.name}.complete").exists():
        for p in args.work.glob(f"{db.name}*"):
            p.unlink()
        wall, _ = run([*chatlake, "import", str(root), "--db", str(db), "--quiet"], env)
        (args.work / f"{db.name}.complete").write_text(f"{wall:.1f}")
        print(f"imported in {wall:.1f} s", flush=True)
    print(f"tree: {nfiles} files, {nbytes / 2**20:,.0f} MiB; warehouse {db.stat().st_size / 2**20:,.0f} MiB",
          flush=True)
    page = args.work / "report.html"
    first, _ = run([*chatlake, "report", "--db", str(db), "-o", str(page)], env)
    print(f"first report (makes and caches Vega's bundle): {first:.2f} s", flush=True)

    commands = {
        "chatlake report -o FILE (new process)": [*chatlake, "report", "--db", str(db), "-o", str(page)],
        "floor: python, import duckdb, open the warehouse, count the prompts":
            [sys.executable, "-c", "import sys, duckdb; duckdb.connect(sys.argv[1], read_only=True).execute("
             "'select count(*) from main.human_messages').fetchall()", str(db)],
        "floor: python, import chatlake.cli (every command's start-up)": [sys.executable, "-c", "import chatlake.cli"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    inside: list[float] = []
    for _ in range(args.runs):
        for name, cmd in commands.items():
            # CPU seconds too: on a shared machine they say more than the wall clock does
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            wall, out = run(cmd, env)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            times[name].append(wall)
            cpu[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            match = re.search(r", ([0-9.]+)s\)$", out.strip())
            if match:
                inside.append(float(match.group(1)))
    size = page.stat().st_size
    print(f"\nmedians of {args.runs} runs (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):")
    print("| what | wall | CPU |")
    print("|---|---|---|")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values):.2f} s | {statistics.median(cpu[name]):.2f} s |")
    print(f"| chatlake report: the library call alone (as it prints it) | {statistics.median(inside):.2f} s | |")
    print(f"| the page | {size / 1e6:.2f} MB | |")


if __name__ == "__main__":
    main()
