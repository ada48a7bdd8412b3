"""Benchmark of `chatlake usage daily --json` on the 1 GiB tree's warehouse, beside ccusage 20.

Usage: python tests/bench/bench_usage.py [--gib 1.0] [--runs 5] [--work DIR] [--ccusage PATH]

Makes (or reuses) bench_import.py's tree and imports it once into its own warehouse, then times,
alternating, each report of `chatlake usage` as a user runs it (a new process) and
`ccusage claude <report> --json --offline` re-reading the tree (when the binary is on PATH or
given), and prints medians. Also prints the warehouse's size against the transcripts' bytes, and
checks that both tools count the same tokens per day and model. The floor beside them: a Python
that imports duckdb, opens the warehouse and counts its responses.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_import import generate  # noqa: E402

REPORTS = ("daily", "weekly", "monthly", "session", "blocks")


def run(cmd: list[str], env: dict | None = None) -> tuple[float, str]:
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd="/")
    wall = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return wall, proc.stdout


def per_day_model(report: dict) -> dict:
    return {(d["date"], m["modelName"]): (m["inputTokens"], m["outputTokens"], m["cacheCreationTokens"],
                                          m["cacheReadTokens"]) for d in report["daily"] for m in d["modelBreakdowns"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--gib", type=float, default=1.0)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--work", type=Path, default=Path("/tmp/chatlake-bench"))
    ap.add_argument("--ccusage", default=shutil.which("ccusage"))
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    root = args.work / f"tree-{args.gib:g}gib"
    nfiles, nbytes = generate(root, args.gib)
    script = Path(sys.executable).with_name("chatlake")
    chatlake = [str(script)] if script.exists() else [sys.executable, "-m", "chatlake.cli"]
    db = args.work / f"usage-{args.gib:g}gib.duckdb"
    if not (args.work / f"{db.name}.complete").exists():
        for p in args.work.glob(f"{db.name}*"):
            p.unlink()
        wall, _ = run([*chatlake, "import", str(root), "--db", str(db), "--quiet"])
        (args.work / f"{db.name}.complete").write_text(f"{wall:.1f}")
        print(f"imported in {wall:.1f} s", flush=True)
    size = db.stat().st_size
    print(f"tree: {nfiles} files, {nbytes / 2**20:,.0f} MiB; warehouse {size / 2**20:,.0f} MiB"
          f" = {100 * size / nbytes:.1f} % of the transcripts' bytes", flush=True)

    # ccusage reads $CLAUDE_CONFIG_DIR/projects: a folder whose `projects` is the tree
    config = args.work / "ccusage-config"
    config.mkdir(exist_ok=True)
    if not (config / "projects").exists():
        (config / "projects").symlink_to(root)
    env = {**os.environ, "CLAUDE_CONFIG_DIR": str(config), "TZ": "UTC"}
    times: dict[str, list[float]] = {}
    outputs: dict[str, str] = {}
    floor = [sys.executable, "-c", "import sys, duckdb; duckdb.connect(sys.argv[1], read_only=True).execute("
             "'select count(*) from main.assistant_responses').fetchall()", str(db)]
    for _ in range(args.runs):
        times.setdefault("floor: python, import duckdb, open the warehouse, count the responses", []).append(
            run(floor, env)[0])
        for report in REPORTS:
            wall, outputs[f"chatlake {report}"] = run([*chatlake, "usage", report, "--json", "--db", str(db)], env)
            times.setdefault(f"chatlake usage {report} --json", []).append(wall)
            if args.ccusage:
                wall, outputs[f"ccusage {report}"] = run([args.ccusage, "claude", report, "--json", "--offline"], env)
                times.setdefault(f"ccusage claude {report} --json --offline", []).append(wall)
    print(f"\n| command | median of {args.runs} | runs |")
    print("|---|---|---|")
    for name, values in times.items():
        print(f"| `{name}` | {statistics.median(values):.2f} s | {' / '.join(f'{v:.2f}' for v in values)} |")
    if args.ccusage:
        ours, theirs = (per_day_model(json.loads(outputs[f"{t} daily"])) for t in ("chatlake", "ccusage"))
        same = sum(ours.get(k) == v for k, v in theirs.items())
        print(f"\nper day and model: {same} of {len(theirs)} ccusage rows have the same token counts"
              f" ({len(ours)} rows in chatlake's)")


if __name__ == "__main__":
    main()
