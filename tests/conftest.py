"""Shared fixtures: generated transcript trees and throwaway warehouse files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chatlake.example.transcripts import TranscriptGenerator

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Never touch the real ~/.claude or ~/.local/share from a test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("CHATLAKE_DB", raising=False)
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    monkeypatch.delenv("CHATLAKE_ROOTS", raising=False)
    for name in ("CODEX_HOME", "GEMINI_CLI_HOME"):
        monkeypatch.delenv(name, raising=False)
    yield home


@pytest.fixture
def tree(tmp_path):
    gen = TranscriptGenerator(tmp_path / "projects", seed=11)
    return gen.write_tree(sessions=6, prompts=7)


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "wh" / "chatlake.duckdb"


def pytest_sessionfinish(session):
    """Remove the warehouses search_support and embed_support build once per process in the
    temp folder: nothing else owns them, and each run would leave one more behind."""
    import shutil
    import sys

    for module, name in (("search_support", "_built"), ("embed_support.warehouse", "_imported")):
        built = getattr(sys.modules.get(module), name, None)
        if built:
            db = built[0] if isinstance(built, tuple) else built
            shutil.rmtree(Path(db).parent, ignore_errors=True)
