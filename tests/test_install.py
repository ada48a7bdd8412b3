"""What a plain `pip install .` brings, and what the REST target says without its extra."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from search_support import warehouse

ROOT = Path(__file__).resolve().parent.parent


def test_the_supabase_client_is_an_extra_that_the_tests_pull_in():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not [d for d in project["dependencies"] if d.startswith("supabase")]
    extras = project["optional-dependencies"]
    assert any(d.startswith("supabase") for d in extras["supabase"])
    assert any(d.startswith("supabase") for d in extras["test"])


def test_the_rest_target_without_the_extra_names_it_in_one_line(tmp_path):
    db, _ = warehouse(tmp_path / "chatlake.duckdb")
    # an install without the extra, as far as the child process can tell
    blocked = tmp_path / "without-supabase" / "supabase"
    blocked.mkdir(parents=True)
    (blocked / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'supabase'\", name='supabase')\n")
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONPATH": str(blocked.parent),
           "SUPABASE_URL": "https://example.supabase.co", "SUPABASE_SERVICE_ROLE_KEY": "service-key",
           "OPENAI_API_KEY": "sk-test"}
    env.pop("SUPABASE_DB_URL", None)

    done = subprocess.run([sys.executable, "-m", "chatlake.cli", "embed", "--db", str(db)],
                          env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)

    assert done.returncode == 1, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.endswith('needs the supabase client: pip install "chatlake[supabase]"'), line
