"""A load hands its lines to DuckDB in batches and keeps none of them: a first import's memory
follows one batch, not the tree (a load is one transaction, and DuckDB kept every batch
registered inside it until the commit: 1.8 GB for a 1 GiB Codex tree)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from chatlake.example.agents import CodexGenerator, GeminiGenerator
from chatlake.extract import extract
import chatlake.extract.agents.land as agents_land
from helpers import query


def test_a_first_load_keeps_no_batch_it_has_landed(tmp_path, monkeypatch):
    codex = CodexGenerator(tmp_path / "codex", seed=5, output_bytes=6000)
    codex.write_tree(sessions=12, prompts=4)
    gemini = GeminiGenerator(tmp_path / "gemini" / "tmp", seed=6, output_bytes=6000)
    gemini.write_tree(sessions=12, prompts=4)
    roots = [tmp_path / "codex" / "sessions", tmp_path / "gemini" / "tmp"]
    tree_bytes = sum(p.stat().st_size for root in roots for p in root.rglob("*") if p.is_file())
    # batches of 16 KB, so that the load hands DuckDB dozens of them in its one transaction
    monkeypatch.setattr(agents_land, "FLUSH_BYTES", 16 << 10)
    held: list[int] = []  # Arrow's live bytes after each batch has landed (on the load's writer thread)
    landing = agents_land._landing

    def counted(kind, load_id, rows, bad):
        job = landing(kind, load_id, rows, bad)

        def run(con) -> None:
            job(con)
            if rows:
                held.append(pa.total_allocated_bytes())
        return run

    monkeypatch.setattr(agents_land, "_landing", counted)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    result = extract(con, roots)
    con.close()

    assert result.lines_rejected == 0 and len(held) >= 20
    # every batch is let go once landed: what Arrow still holds is no batch's worth, let alone the tree's
    assert max(held) < 64 << 10, (max(held), tree_bytes)
    landed = query(tmp_path / "w.duckdb", "select (select count(*) from raw.codex_lines) + (select count(*) from raw.gemini_records)")
    assert landed[0][0] > 0
