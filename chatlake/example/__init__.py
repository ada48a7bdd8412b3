"""Generated transcripts and exports: `chatlake import --example`, the tests' fixtures and the benchmarks' trees."""

from __future__ import annotations

import tempfile
from pathlib import Path


def example_tree(data_dir: Path) -> Path:
    """A small generated tree for people without Claude Code, under `data_dir` (made once, then reused)."""
    from chatlake.example.transcripts import TranscriptGenerator

    root = data_dir / "example-projects"
    if not root.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        # made aside and renamed: an interrupted run leaves no half tree under the final name
        tmp = Path(tempfile.mkdtemp(prefix="example-", dir=str(data_dir)))
        TranscriptGenerator(tmp, seed=2026).write_tree(sessions=12, prompts=8)
        tmp.rename(root)
    return root
