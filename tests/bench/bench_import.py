"""Benchmark of `chatlake import` on about 1 GiB of generated transcripts.

Usage: python tests/bench/bench_import.py [--gib 1.0] [--runs 3] [--work DIR] [--tools claude_code,codex,gemini_cli]

`--tools` names the trees: Claude Code's (the default), and Codex CLI's and Gemini CLI's, which
bench_agents_import.py generates and measures against the same floors and targets.

Reports medians over --runs of: cold import (extract alone, and end to end through the CLI
with dbt), a no-op re-run, a re-run after appending to 5 files, peak RSS, and beside them the
floors measured in the same run: DuckDB's own read_json_objects over the same tree (scan,
and create-table-as into a file) and dbt's own startup (an in-process build that selects
nothing, in a fresh process).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from chatlake.extract.unchanged import record_path
from chatlake.example.transcripts import TranscriptGenerator, append_session_turns
from chatlake.transform.dbt import dbt_work_dir

BYTES_PER_SESSION = 340_000  # measured for the settings below


def generate(root: Path, gib: float) -> tuple[int, int]:
    marker = root / ".complete"
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        gen = TranscriptGenerator(root, seed=1, tool_result_bytes=12000, image_bytes=60000)
        gen.write_tree(sessions=max(1, int(gib * (1 << 30) / BYTES_PER_SESSION)), prompts=10)
        marker.write_text("ok")
    files = [p for p in root.rglob("*.jsonl")]
    return len(files), sum(p.stat().st_size for p in files)


def _rss_mb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    found, i = [pid], 0
    while i < len(found):
        try:
            for task in os.listdir(f"/proc/{found[i]}/task"):
                with open(f"/proc/{found[i]}/task/{task}/children") as fh:
                    found += [int(p) for p in fh.read().split()]
        except OSError:
            pass
        i += 1
    return found


def timed(cmd: list[str], env: dict | None = None, rss: bool = True) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (MB) of the command, and its stdout.

    The peak is of the command's processes together (an import forks the child that parses and
    builds while the parent lands), sampled every 50 ms from /proc (0 unless `rss`).
    """
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, env=env)
        peak = 0
        while rss and proc.poll() is None:
            peak = max(peak, sum(_rss_mb(p) for p in _descendants(proc.pid)))
            time.sleep(0.05)
        proc.wait()
        wall = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} exited {proc.returncode}: {stderr[-2000:]}")
    return wall, peak, stdout


def floor_scan(root: Path) -> float:
    con = duckdb.connect()
    started = time.monotonic()
    con.execute(f"select count(*) from read_json_objects('{root}/**/*.jsonl', format='newline_delimited')").fetchone()
    return time.monotonic() - started


def floor_ctas(root: Path, work: Path) -> float:
    target = work / "floor.duckdb"
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    started = time.monotonic()
    con.execute(f"create table t as select * from read_json_objects('{root}/**/*.jsonl', format='newline_delimited', filename=true)")
    con.close()
    return time.monotonic() - started


def floor_land_extract(root: Path, work: Path) -> tuple[float, int]:
    """DuckDB alone, landing the tree as chatlake does (zstd forced) and then a naive extract: one
    pass pulling the fields the marts read (the envelope and the usage) out of every line.
    Returns the seconds and the file's bytes."""
    target = work / "floor-extract.duckdb"
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    con.execute("set force_compression = 'zstd'")
    started = time.monotonic()
    con.execute(f"create table t as select * from read_json_objects('{root}/**/*.jsonl', format='newline_delimited', filename=true)")
    con.execute("""
        create table e as
        select filename, json ->> '$.type' as type, json ->> '$.uuid' as uuid, json ->> '$.sessionId' as session_id,
            json ->> '$.timestamp' as ts, json ->> '$.cwd' as cwd, json ->> '$.message.id' as message_id,
            json ->> '$.requestId' as request_id, json ->> '$.message.model' as model,
            (json ->> '$.message.usage.input_tokens')::bigint as input_tokens,
            (json ->> '$.message.usage.output_tokens')::bigint as output_tokens,
            (json ->> '$.message.usage.cache_creation_input_tokens')::bigint as cache_creation_tokens,
            (json ->> '$.message.usage.cache_read_input_tokens')::bigint as cache_read_tokens,
            json -> '$.message.content' as content
        from t
    """)
    con.close()
    wall = time.monotonic() - started
    size = target.stat().st_size
    target.unlink()
    return wall, size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--gib", type=float, default=1.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", type=Path, default=Path("/tmp/chatlake-bench"))
    ap.add_argument("--tools", default="claude_code")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    tools = [t.strip() for t in args.tools.split(",")]
    if any(t != "claude_code" for t in tools):
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from bench_agents_import import bench as bench_agent, chatlake_command

        for tool in tools:
            if tool != "claude_code":
                bench_agent(tool, args, chatlake_command())
    if "claude_code" not in tools:
        return
    root = args.work / f"tree-{args.gib:g}gib"
    t0 = time.monotonic()
    nfiles, nbytes = generate(root, args.gib)
    print(f"tree: {nfiles} files, {nbytes / 1e6:.0f} MB ({time.monotonic() - t0:.1f}s to make or find)", flush=True)
    # The `chatlake` command beside this interpreter, as a user runs it (`python -m` would
    # compile the CLI module from source on every run).
    script = Path(sys.executable).with_name("chatlake")
    chatlake = [str(script)] if script.exists() else [sys.executable, "-m", "chatlake.cli"]
    results: dict[str, list[float]] = {k: [] for k in (
        "floor_scan", "floor_ctas", "floor_land_extract", "extract_only", "cold_import", "noop", "append5", "dbt_startup")}
    rss: list[int] = []
    sizes: list[int] = []
    floor_bytes = 0
    for run in range(args.runs):
        db = args.work / "bench.duckdb"
        for p in args.work.glob("bench.duckdb*"):
            p.unlink()
        record_path(db).unlink(missing_ok=True)  # the no-op record of the previous run: a cold start
        shutil.rmtree(dbt_work_dir(db), ignore_errors=True)
        results["floor_scan"].append(floor_scan(root))
        results["floor_ctas"].append(floor_ctas(root, args.work))
        wall, floor_bytes = floor_land_extract(root, args.work)
        results["floor_land_extract"].append(wall)
        wall, _, _ = timed([sys.executable, "-c",
                            "import sys, duckdb; from pathlib import Path; from chatlake.extract import extract;"
                            "c = duckdb.connect(sys.argv[1]); extract(c, [Path(sys.argv[2])]); c.close()",
                            str(args.work / "extract-only.duckdb"), str(root)])
        (args.work / "extract-only.duckdb").unlink()
        results["extract_only"].append(wall)
        wall, peak, out = timed([*chatlake, "import", str(root), "--db", str(db), "--json"])
        summary = json.loads(out)
        assert summary["ok"], summary
        results["cold_import"].append(wall)
        rss.append(peak)
        sizes.append(db.stat().st_size)
        results["noop"].append(timed([*chatlake, "import", str(root), "--db", str(db), "--quiet"], rss=False)[0])
        mains = sorted(p for p in root.rglob("*.jsonl") if not p.name.startswith("agent-"))[run * 5:(run + 1) * 5]
        for p in mains:
            append_session_turns(p, p.stem, [f"benchmark follow-up {run}"])
        wall, _, out = timed([*chatlake, "import", str(root), "--db", str(db), "--json"], rss=False)
        assert json.loads(out)["files_appended"] == 5
        results["append5"].append(wall)
        results["dbt_startup"].append(timed([sys.executable, "-c",
            "from chatlake.transform.dbt import run_dbt; from pathlib import Path; import sys;"
            "run_dbt(Path(sys.argv[1]), 'build', extra=['--select', 'tag:nothing-selected'])", str(db)], rss=False)[0])
        print(f"run {run + 1}: " + ", ".join(f"{k}={v[-1]:.2f}s" for k, v in results.items()) + f", rss={peak}MB", flush=True)
    med = {k: statistics.median(v) for k, v in results.items()}
    mb = nbytes / 1e6
    print()
    print(f"| measure | median of {args.runs} | throughput |")
    print("|---|---|---|")
    print(f"| floor: DuckDB read_json_objects scan | {med['floor_scan']:.2f} s | {mb / med['floor_scan']:.0f} MB/s |")
    print(f"| floor: DuckDB read_json_objects create table into a file | {med['floor_ctas']:.2f} s | {mb / med['floor_ctas']:.0f} MB/s |")
    print(f"| floor: DuckDB land (zstd) + naive extract of the marts' fields | {med['floor_land_extract']:.2f} s | {mb / med['floor_land_extract']:.0f} MB/s |")
    print(f"| extract alone (new process, cold) | {med['extract_only']:.2f} s | {mb / med['extract_only']:.0f} MB/s |")
    print(f"| cold `chatlake import` (extract + dbt build + tests) | {med['cold_import']:.2f} s | {mb / med['cold_import']:.0f} MB/s |")
    print(f"| cold import against the land + extract floor, same run | {statistics.median(a / f for a, f in zip(results['cold_import'], results['floor_land_extract'])):.2f}x | |")
    print(f"| peak RSS of the cold import (its processes together) | {statistics.median(rss)} MB | |")
    print(f"| warehouse after the cold import | {statistics.median(sizes) / 2**20:,.0f} MiB | {100 * statistics.median(sizes) / nbytes:.1f} % of the transcripts' bytes (floor's file: {floor_bytes / 2**20:,.0f} MiB) |")
    print(f"| no-op `chatlake import` ({nfiles} unchanged files) | {med['noop']:.2f} s | |")
    print(f"| `chatlake import` after appending to 5 files | {med['append5']:.2f} s | |")
    print(f"| floor: dbt startup (in-process build selecting nothing, new process) | {med['dbt_startup']:.2f} s | |")
    over = statistics.median(a - f for a, f in zip(results["append5"], results["dbt_startup"]))
    print(f"| append minus dbt startup, same run | +{over:.2f} s | |")


if __name__ == "__main__":
    main()
