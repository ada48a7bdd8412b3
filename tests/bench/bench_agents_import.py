"""Benchmark of `chatlake import` on generated Codex CLI and Gemini CLI trees (the sibling of bench_import.py).

Usage: python tests/bench/bench_agents_import.py [--gib 1.0] [--runs 3] [--work DIR] [--tools codex,gemini_cli]
(or python tests/bench/bench_import.py --tools codex,gemini_cli)

For each tool, reports medians over --runs of: the extractor alone, a cold `chatlake import`
(extract + dbt build + tests), a no-op re-run and a re-run after appending to 5 sessions, the
peak RSS of the cold import, and beside them the floors measured in the same run: DuckDB's own
read_json_objects over the same tree (scan, create-table-as into a file, and landing plus a naive
extract of the fields the marts read) and dbt's own start-up. The targets per GiB are Claude
Code's (BENCHMARKS.md): cold import within 2x the land + extract floor, peak RSS under 2 GiB,
no-op under 0.5 s, an append within 2 s of dbt's start-up.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_import import timed  # noqa: E402

from chatlake.extract.unchanged import record_path  # noqa: E402
from chatlake.example.agents import CodexGenerator, GeminiGenerator  # noqa: E402
from chatlake.transform.dbt import dbt_work_dir  # noqa: E402

# measured for the settings below
BYTES_PER_SESSION = {"codex": 142_000, "gemini_cli": 136_000}


def generate(work: Path, tool: str, gib: float) -> tuple[list[Path], int, int]:
    """The tree's roots, its file count and its size (made once per size, then reused)."""
    base = work / f"{tool}-{gib:g}gib"
    roots = [base / "sessions"] if tool == "codex" else [base / "tmp"]
    marker = base / ".complete"
    if not marker.exists():
        shutil.rmtree(base, ignore_errors=True)
        sessions = max(3, int(gib * (1 << 30) / BYTES_PER_SESSION[tool]))
        if tool == "codex":
            gen = CodexGenerator(base, seed=1, output_bytes=12000)
            for i in range(sessions):
                gen.session(("g2", "g3", "g3", "g1")[i % 4], prompts=10)
        else:
            gen = GeminiGenerator(base / "tmp", seed=1, output_bytes=12000)
            for i in range(sessions):
                gen.session(("jsonl", "jsonl", "json")[i % 3], prompts=10, rewind=i % 5 == 0)
        marker.write_text("ok")
    files = [p for root in roots if root.exists() for p in root.rglob("*") if p.suffix in (".json", ".jsonl")]
    return roots, len(files), sum(p.stat().st_size for p in files)


def append_five(roots: list[Path], tool: str, run: int) -> None:
    """A new prompt at the end of five sessions, as a resumed session writes it."""
    pattern = "rollout-*.jsonl" if tool == "codex" else "session-*.jsonl"
    files = sorted(p for root in roots for p in root.rglob(pattern))[run * 5:(run + 1) * 5]
    for n, path in enumerate(files):
        if tool == "codex":
            line = {"timestamp": "2026-06-01T10:00:00.000Z", "type": "event_msg",
                    "payload": {"type": "user_message", "message": f"benchmark follow-up {run}.{n}", "images": []}}
        else:
            line = {"id": f"bench-{run}-{n}", "timestamp": "2026-06-01T10:00:00.000Z", "type": "user",
                    "content": [{"text": f"benchmark follow-up {run}.{n}"}]}
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")


def floor(roots: list[Path], target: Path | None) -> float:
    """DuckDB reading the same files as JSON objects: a scan, or a table written into `target`."""
    globs = [f"{root}/**/*.{suffix}" for root in roots if root.exists() for suffix in ("jsonl", "json")]
    globs = [g for g in globs if list(Path(g.split("/**")[0]).rglob("*." + g.rsplit(".", 1)[1]))]
    con = duckdb.connect(str(target) if target else ":memory:")
    source = f"read_json_objects({globs!r}, format='auto')"
    started = time.monotonic()
    if target:
        con.execute(f"create table t as select * from {source}")
    else:
        con.execute(f"select count(*) from {source}").fetchone()
    con.close()
    return time.monotonic() - started


# The fields the marts read, per tool: what a naive one-pass extract would pull out of each line.
NAIVE_FIELDS = {
    "codex": """json ->> '$.type' as type, json ->> '$.timestamp' as ts, json ->> '$.payload.type' as payload_type,
        json ->> '$.payload.role' as role, json ->> '$.payload.id' as session_id, json ->> '$.payload.model' as model,
        json ->> '$.payload.call_id' as call_id, json ->> '$.payload.name' as tool_name,
        (json ->> '$.payload.info.total_token_usage.input_tokens')::bigint as input_tokens,
        (json ->> '$.payload.info.total_token_usage.cached_input_tokens')::bigint as cached_input_tokens,
        (json ->> '$.payload.info.total_token_usage.output_tokens')::bigint as output_tokens,
        json ->> '$.payload.message' as message, json -> '$.payload.content' as content""",
    "gemini_cli": """json ->> '$.sessionId' as session_id, json ->> '$.id' as id, json ->> '$.type' as type,
        json ->> '$.timestamp' as ts, json ->> '$.model' as model, (json ->> '$.tokens.input')::bigint as input_tokens,
        (json ->> '$.tokens.output')::bigint as output_tokens, (json ->> '$.tokens.cached')::bigint as cached_tokens,
        json -> '$.content' as content, json -> '$.displayContent' as display_content,
        json -> '$.toolCalls' as tool_calls, json -> '$.messages' as messages""",
}


def floor_land_extract(roots: list[Path], tool: str, work: Path) -> float:
    """DuckDB alone, landing the tree as chatlake does (zstd forced) and then a naive extract of
    the fields the marts read from every line or document, in one pass."""
    target = work / "floor-extract.duckdb"
    target.unlink(missing_ok=True)
    globs = [f"{root}/**/*.{suffix}" for root in roots if root.exists() for suffix in ("jsonl", "json")
             if next(root.rglob("*." + suffix), None) is not None]
    con = duckdb.connect(str(target))
    con.execute("set force_compression = 'zstd'")
    started = time.monotonic()
    con.execute(f"create table t as select * from read_json_objects({globs!r}, format='auto', filename=true)")
    con.execute(f"create table e as select filename, {NAIVE_FIELDS[tool]} from t")
    con.close()
    wall = time.monotonic() - started
    target.unlink()
    return wall


def dbt_startup(db: Path) -> float:
    """dbt's own start-up: an in-process build that selects nothing, in a fresh process."""
    return timed([sys.executable, "-c",
                  "from chatlake.transform.dbt import run_dbt; from pathlib import Path; import sys;"
                  "run_dbt(Path(sys.argv[1]), 'build', extra=['--select', 'tag:nothing-selected'])", str(db)],
                 rss=False)[0]


def bench(tool: str, args, chatlake: list[str]) -> None:
    roots, nfiles, nbytes = generate(args.work, tool, args.gib)
    print(f"{tool} tree: {nfiles} files, {nbytes / 1e6:.0f} MB", flush=True)
    keys = ("floor_scan", "floor_ctas", "floor_land_extract", "extract_only", "cold_import", "noop", "append5",
            "dbt_startup")
    results: dict[str, list[float]] = {k: [] for k in keys}
    rss: list[int] = []
    for run in range(args.runs):
        db = args.work / f"bench-{tool}.duckdb"
        for p in args.work.glob(f"bench-{tool}.duckdb*"):
            p.unlink()
        record_path(db).unlink(missing_ok=True)
        shutil.rmtree(dbt_work_dir(db), ignore_errors=True)
        results["floor_scan"].append(floor(roots, None))
        ctas = args.work / "floor.duckdb"
        ctas.unlink(missing_ok=True)
        results["floor_ctas"].append(floor(roots, ctas))
        ctas.unlink(missing_ok=True)
        results["floor_land_extract"].append(floor_land_extract(roots, tool, args.work))
        only = args.work / "extract-only.duckdb"
        wall, _, _ = timed([sys.executable, "-c",
                            "import sys, duckdb; from pathlib import Path; from chatlake.extract import extract;"
                            "c = duckdb.connect(sys.argv[1]); extract(c, [Path(p) for p in sys.argv[2:]]); c.close()",
                            str(only), *map(str, roots)])
        only.unlink()
        results["extract_only"].append(wall)
        wall, peak, out = timed([*chatlake, "import", *map(str, roots), "--db", str(db), "--json"])
        assert json.loads(out)["ok"], out
        results["cold_import"].append(wall)
        rss.append(peak)
        results["noop"].append(timed([*chatlake, "import", *map(str, roots), "--db", str(db), "--quiet"], rss=False)[0])
        append_five(roots, tool, run)
        wall, _, out = timed([*chatlake, "import", *map(str, roots), "--db", str(db), "--json"], rss=False)
        assert json.loads(out)["files_appended"] == 5, out
        results["append5"].append(wall)
        results["dbt_startup"].append(dbt_startup(db))
        print(f"  run {run + 1}: " + ", ".join(f"{k}={v[-1]:.2f}s" for k, v in results.items()) + f", rss={peak}MB",
              flush=True)
    med = {k: statistics.median(v) for k, v in results.items()}
    mb = nbytes / 1e6
    per_gib = (1 << 30) / nbytes
    print(f"\n{tool}: {nfiles} files, {mb:.0f} MB")
    print(f"| measure | median of {args.runs} | throughput | per GiB |")
    print("|---|---|---|---|")
    rows = [("floor: DuckDB read_json_objects scan", "floor_scan"),
            ("floor: DuckDB read_json_objects create table into a file", "floor_ctas"),
            ("floor: DuckDB land (zstd) + naive extract of the marts' fields", "floor_land_extract"),
            ("extract alone (new process, cold)", "extract_only"),
            ("cold `chatlake import` (extract + dbt build + tests)", "cold_import")]
    for label, key in rows:
        print(f"| {label} | {med[key]:.2f} s | {mb / med[key]:.0f} MB/s | {med[key] * per_gib:.1f} s |")
    ratio = statistics.median(a / f for a, f in zip(results["cold_import"], results["floor_land_extract"]))
    print(f"| cold import against the land + extract floor, same run | {ratio:.2f}x | | |")
    print(f"| peak RSS of the cold import (its processes together) | {statistics.median(rss)} MB | | |")
    print(f"| no-op `chatlake import` ({nfiles} unchanged files) | {med['noop']:.2f} s | | |")
    print(f"| `chatlake import` after appending to 5 files | {med['append5']:.2f} s | | |")
    print(f"| floor: dbt start-up (in-process build selecting nothing, new process) | {med['dbt_startup']:.2f} s | | |")
    over = statistics.median(a - f for a, f in zip(results["append5"], results["dbt_startup"]))
    print(f"| append minus dbt start-up, same run | +{over:.2f} s | | |\n", flush=True)


def chatlake_command() -> list[str]:
    """The `chatlake` command beside this interpreter, as a user runs it."""
    script = Path(sys.executable).with_name("chatlake")
    return [str(script)] if script.exists() else [sys.executable, "-m", "chatlake.cli"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--gib", type=float, default=1.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", type=Path, default=Path("/tmp/chatlake-bench-agents"))
    ap.add_argument("--tools", default="codex,gemini_cli")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    for tool in args.tools.split(","):
        bench(tool.strip(), args, chatlake_command())


if __name__ == "__main__":
    main()
