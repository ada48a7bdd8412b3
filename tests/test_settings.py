"""One settings object: flags, then the environment, then the config file, then defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from chatlake.cli import app
from chatlake.core.settings import ConfigFileError, resolve
from chatlake.embed.config import resolve_config


def write_config(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "config" / "chatlake" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    return {"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "config")}


def test_flags_beat_the_environment_which_beats_the_config_file_which_beats_the_defaults(tmp_path):
    env = write_config(tmp_path, 'db = "/from/config.duckdb"\nwait = true\n[embed]\nmodel = "config-model"\n'
                                 'concurrency = 9\n')
    assert resolve(environ={"HOME": str(tmp_path)}).db == tmp_path / ".local/share/chatlake/chatlake.duckdb"
    assert resolve(environ=env).db == Path("/from/config.duckdb")
    assert resolve(environ={**env, "CHATLAKE_DB": "/from/env.duckdb"}).db == Path("/from/env.duckdb")
    assert resolve(db="/from/flag.duckdb", environ={**env, "CHATLAKE_DB": "/e.duckdb"}).db == Path("/from/flag.duckdb")
    settings = resolve(environ=env)
    assert settings.wait == 3600.0 and resolve(wait=False, environ=env).wait == 0.0
    assert settings.embed.model == "config-model" and settings.embed.model_chosen
    assert resolve(environ={**env, "CHATLAKE_EMBED_MODEL": "env-model"}).embed.model == "env-model"
    assert settings.embed.concurrency == 9
    assert resolve(environ=env, embed={"concurrency": 2}).embed.concurrency == 2
    assert not resolve(environ={"HOME": str(tmp_path)}).embed.model_chosen


def test_the_config_file_can_hold_the_api_key_and_it_is_never_shown(tmp_path):
    env = write_config(tmp_path, '[embed]\napi_key = "sk-config-secret"\nbase_url = "http://127.0.0.1:9/v1"\n')
    cfg = resolve_config(environ=env)
    assert cfg.api_key == "sk-config-secret" and cfg.base_url == "http://127.0.0.1:9/v1"
    assert "sk-config-secret" not in repr(cfg) and "sk-config-secret" not in repr(resolve(environ=env))


def test_roots_come_from_the_environment_then_the_config_file(tmp_path):
    env = write_config(tmp_path, 'roots = ["~/a", "/b"]\n')
    assert resolve(environ=env).roots == (Path(env["HOME"]) / "a", Path("/b"))
    assert resolve(environ={**env, "CHATLAKE_ROOTS": "/x:/y"}).roots == (Path("/x"), Path("/y"))
    # Claude Code's default folder, then Codex CLI's and Gemini CLI's (issue 19)
    assert resolve(environ={"HOME": "/h"}).roots == (
        Path("/h/.claude/projects"), Path("/h/.codex/sessions"), Path("/h/.codex/archived_sessions"),
        Path("/h/.gemini/tmp"))
    assert resolve(environ={"HOME": "/h"}, skip_sources={"codex", "gemini_cli"}).roots == (Path("/h/.claude/projects"),)
    skipping = write_config(tmp_path / "skip", 'skip_sources = ["codex"]\n')
    assert resolve(environ=skipping).roots[1:] == (Path(skipping["HOME"]) / ".gemini" / "tmp",)


@pytest.mark.parametrize("text, message", [
    ("db = 3\n", "db must be a str"),
    ("[embed\n", "config.toml"),
    ("embed = 1\n", r"\[embed\] must be a dict"),
])
def test_a_config_file_that_cannot_be_read_is_one_line(tmp_path, text, message):
    env = write_config(tmp_path, text)
    with pytest.raises(ConfigFileError, match=message):
        resolve(environ=env)


def test_every_command_reads_the_config_file(tmp_path, monkeypatch):
    env = write_config(tmp_path, f'db = "{tmp_path / "elsewhere.duckdb"}"\n')
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("CHATLAKE_DB", raising=False)
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 1
    assert "elsewhere.duckdb does not exist yet" in result.output
    (tmp_path / "config" / "chatlake" / "config.toml").write_text("db = [\n")
    broken = CliRunner().invoke(app, ["status"])
    assert broken.exit_code == 2 and "config.toml" in broken.output
    assert len(broken.output.strip().splitlines()) == 1
