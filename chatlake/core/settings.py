"""Every setting of chatlake, resolved once: flags, then the environment, then the config file, then defaults.

This is the one module that reads the environment. The config file is TOML, at
`$CHATLAKE_CONFIG`, else `$XDG_CONFIG_HOME/chatlake/config.toml`, else
`~/.config/chatlake/config.toml`; a missing file is no error. Its keys (all optional):

    db = "~/warehouses/chatlake.duckdb"
    project_dir = "~/chatlake-project"
    roots = ["~/.claude/projects", "~/Downloads/chatgpt-export.zip"]
    skip_sources = ["gemini_cli"]    # tools whose default folders are not read: codex, gemini_cli
    wait = true                      # or a number of seconds

    [embed]
    model = "text-embedding-3-small"
    target = "local"                 # or postgresql://..., or https://<project>.supabase.co
    base_url = "http://127.0.0.1:11434/v1"
    api_key = "..."                  # read, never printed
    kinds = ["prompt"]
    concurrency = 4
    batch_size = 2048
    timeout = 60
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from chatlake.core.errors import ProjectMissing, UsageError
from chatlake.core.kinds import AGENT_SOURCES, CODEX, GEMINI_CLI

PROJECT_ENV = "CHATLAKE_PROJECT_DIR"
# How long `--wait` waits for another process holding the warehouse.
WAIT_SECONDS = 3600.0


class ConfigFileError(UsageError):
    """The config file cannot be read, or one of its values has the wrong type."""


@dataclass(frozen=True)
class EmbedSettings:
    """What `chatlake embed` and vector search start from, before their own checks (embed/config.py)."""

    model: str = "text-embedding-3-small"
    model_chosen: bool = False  # named by a flag, $CHATLAKE_EMBED_MODEL or the config file
    target: str | None = None  # --target / $SUPABASE_DB_URL / config; None: REST if configured, else local
    supabase_url: str | None = None
    supabase_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    kinds: tuple[str, ...] = ("prompt",)
    concurrency: int = 4
    batch_size: int = 2048
    timeout: float = 60.0
    attempts: int = 6


@dataclass(frozen=True)
class Settings:
    """Where things live and how commands behave; make one with `resolve()`."""

    db: Path
    data_dir: Path
    # the transcript roots an import reads when it is given none
    roots: tuple[Path, ...]
    # $CHATLAKE_PROJECT_DIR or the config file's project_dir: a copy of the dbt project the user owns
    project_override: Path | None = None
    source_kind: str | None = None
    wait: float = 0.0
    config_file: Path | None = None
    embed: EmbedSettings = field(default_factory=EmbedSettings)
    # tiktoken's cache folder ($TIKTOKEN_CACHE_DIR, $DATA_GYM_CACHE_DIR), read to avoid a download
    tiktoken_cache: str | None = None

    @property
    def project_dir(self) -> Path:
        """The dbt project every command uses: the user's copy when one is set, else the installed one."""
        chosen = self.project_override
        if chosen is None:
            return installed_project_dir()
        if not (chosen / "dbt_project.yml").is_file():
            raise ProjectMissing(f"${PROJECT_ENV} is {chosen}, which holds no dbt_project.yml"
                                 " (make one with: chatlake project init DIR)")
        return chosen

    @property
    def example_db(self) -> Path:
        """The `--example` warehouse: generated prompts never go into the real one."""
        return self.data_dir / "example.duckdb"


def config_path(environ: Mapping[str, str]) -> Path:
    chosen = environ.get("CHATLAKE_CONFIG")
    if chosen:
        return Path(chosen).expanduser()
    base = environ.get("XDG_CONFIG_HOME") or os.path.join(_home(environ), ".config")
    return Path(base) / "chatlake" / "config.toml"


def _home(environ: Mapping[str, str]) -> str:
    return environ.get("HOME") or str(Path.home())


def read_config(path: Path) -> dict[str, Any]:
    """The config file's table; {} when there is none."""
    try:
        with open(path, "rb") as stream:
            return tomllib.load(stream)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigFileError(f"config file {path}: {exc}") from None


def data_dir_of(environ: Mapping[str, str]) -> Path:
    """`$XDG_DATA_HOME/chatlake`, else `~/.local/share/chatlake` (profiles.yml states the same rule for plain dbt)."""
    base = environ.get("XDG_DATA_HOME") or os.path.join(_home(environ), ".local", "share")
    return Path(base) / "chatlake"


def claude_code_roots(environ: Mapping[str, str] | None = None) -> list[Path]:
    """`~/.claude/projects` plus `projects/` under each `$CLAUDE_CONFIG_DIR` entry, each once."""
    environ = os.environ if environ is None else environ
    roots = [Path(_home(environ)) / ".claude" / "projects"]
    for entry in (environ.get("CLAUDE_CONFIG_DIR") or "").split(","):
        if entry.strip():
            roots.append(_expand(entry.strip(), environ) / "projects")
    unique: dict[str, Path] = {}
    for root in roots:
        unique.setdefault(os.path.abspath(root), Path(os.path.abspath(root)))
    return list(unique.values())


def _homes(value: str | None) -> list[Path]:
    return [Path(p.strip()).expanduser() for p in (value or "").split(",") if p.strip()]


def codex_roots(environ: Mapping[str, str]) -> list[Path]:
    """`sessions/` and `archived_sessions/` under `$CODEX_HOME` (a comma list, as ccusage reads it), else `~/.codex`."""
    home = Path(environ.get("HOME") or Path.home())
    homes = _homes(environ.get("CODEX_HOME")) or [home / ".codex"]
    return [Path(os.path.abspath(h / sub)) for h in homes for sub in ("sessions", "archived_sessions")]


def gemini_roots(environ: Mapping[str, str]) -> list[Path]:
    """`~/.gemini/tmp`, where `$GEMINI_CLI_HOME` replaces the home folder (as Gemini CLI reads it)."""
    home = Path(environ.get("GEMINI_CLI_HOME") or environ.get("HOME") or Path.home()).expanduser()
    return [Path(os.path.abspath(home / ".gemini" / "tmp"))]


def agent_roots(environ: Mapping[str, str], skip: frozenset[str] = frozenset()) -> list[Path]:
    """The default roots of every agent CLI not in `skip` (a missing folder is no error: the walk skips it)."""
    roots = []
    if CODEX not in skip:
        roots += codex_roots(environ)
    if GEMINI_CLI not in skip:
        roots += gemini_roots(environ)
    return roots


def _expand(value: str | os.PathLike, environ: Mapping[str, str]) -> Path:
    """`~` as the settings' own home (a test's, a service's), not only the process's."""
    text = os.fspath(value)
    if text == "~" or text.startswith("~/"):
        return Path(_home(environ) + text[1:])
    return Path(text).expanduser()


def _typed(path: Path, key: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    if value is not None and not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ConfigFileError(f"config file {path}: {key} must be a {names}")
    return value


def _wait(value: Any) -> float:
    if value is True:
        return WAIT_SECONDS
    if value in (None, False):
        return 0.0
    return float(value)


def resolve(*, db: str | os.PathLike | None = None, roots: list | None = None, wait: bool | float | None = None,
            source_kind: str | None = None, environ: Mapping[str, str] | None = None,
            embed: Mapping[str, Any] | None = None, skip_sources: set[str] | frozenset[str] | None = None) -> Settings:
    """Flags (the keyword arguments; None means not given), then the environment, then the config file, then defaults."""
    env = os.environ if environ is None else environ
    path = config_path(env)
    conf = read_config(path)
    conf_embed = _typed(path, "[embed]", conf.get("embed"), dict) or {}
    data = data_dir_of(env)

    chosen_db = db or env.get("CHATLAKE_DB") or _typed(path, "db", conf.get("db"), str) or data / "chatlake.duckdb"
    listed = [p for p in (env.get("CHATLAKE_ROOTS") or "").split(os.pathsep) if p.strip()]
    listed = listed or _typed(path, "roots", conf.get("roots"), list) or []
    skipped = set(skip_sources or ()) | set(_typed(path, "skip_sources", conf.get("skip_sources"), list) or ())
    unknown = sorted(skipped - set(AGENT_SOURCES))
    if unknown:
        raise ConfigFileError(f"skip_sources names {unknown[0]!r}: choose from {', '.join(AGENT_SOURCES)}")
    # Codex CLI's and Gemini CLI's default folders go with Claude Code's (a missing one is no error)
    chosen_roots = [_expand(r, env) for r in (roots or listed)] or (
        claude_code_roots(env) + agent_roots(env, frozenset(skipped)))
    project = env.get(PROJECT_ENV) or _typed(path, "project_dir", conf.get("project_dir"), str)
    waited = wait if wait is not None else _typed(path, "wait", conf.get("wait"), (bool, int, float))

    flags = {k: v for k, v in (embed or {}).items() if v is not None}
    defaults = EmbedSettings()
    values: dict[str, Any] = {}
    for f in fields(EmbedSettings):
        if f.name in ("model_chosen", "supabase_url", "supabase_key"):
            continue
        from_conf = conf_embed.get(f.name)
        if f.name == "api_key":
            values[f.name] = flags.get(f.name) or env.get("OPENAI_API_KEY") or from_conf
        elif f.name == "base_url":
            values[f.name] = flags.get(f.name) or env.get("OPENAI_BASE_URL") or from_conf
        elif f.name == "model":
            chosen = flags.get("model") or env.get("CHATLAKE_EMBED_MODEL") or from_conf
            values["model_chosen"] = bool(chosen)
            values["model"] = chosen or defaults.model
        elif f.name == "target":
            values[f.name] = flags.get(f.name) or env.get("SUPABASE_DB_URL") or from_conf
        elif f.name == "kinds":
            kinds = flags.get("kinds") or _typed(path, "[embed] kinds", from_conf, list)
            values[f.name] = tuple(kinds) if kinds else defaults.kinds
        else:
            values[f.name] = flags[f.name] if f.name in flags else (
                from_conf if from_conf is not None else getattr(defaults, f.name))
    embed_settings = EmbedSettings(supabase_url=env.get("SUPABASE_URL") or conf_embed.get("supabase_url"),
                                   supabase_key=env.get("SUPABASE_SERVICE_ROLE_KEY") or conf_embed.get("supabase_key"),
                                   **values)
    return Settings(
        db=_expand(chosen_db, env).resolve(),
        data_dir=data,
        roots=tuple(chosen_roots),
        project_override=_expand(project, env).resolve() if project else None,
        source_kind=source_kind or env.get("CHATLAKE_SOURCE_KIND") or None,
        wait=_wait(waited),
        config_file=path if conf else None,
        embed=embed_settings,
        tiktoken_cache=env.get("TIKTOKEN_CACHE_DIR") or env.get("DATA_GYM_CACHE_DIR"),
    )


def with_db(settings: Settings, db: str | os.PathLike) -> Settings:
    return replace(settings, db=Path(db).expanduser().resolve())


def installed_project_dir() -> Path:
    """The dbt project shipped with chatlake: `chatlake/project` in a wheel, the repository root in a checkout."""
    package = Path(__file__).resolve().parent.parent  # chatlake/
    for candidate in (package / "project", package.parent):
        if (candidate / "dbt_project.yml").is_file():
            return candidate
    raise FileNotFoundError("the chatlake dbt project is missing from this installation")


# -- shorthands for the callers that need one value ---------------------------------------------------

def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    return data_dir_of(os.environ if environ is None else environ)


def resolve_db(flag: str | os.PathLike | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """`--db`, else `$CHATLAKE_DB`, else the config file's `db`, else the default under the data directory; absolute."""
    return resolve(db=flag, environ=environ).db


def project_dir(environ: Mapping[str, str] | None = None) -> Path:
    return resolve(environ=environ).project_dir


def pager_environment() -> None:
    """less shows a table's colours (not ESC[1m) only with -R: as git does, set LESS when the user has not."""
    os.environ.setdefault("LESS", "FRX")


def chatlake_version() -> str:
    """The installed chatlake's version (what `chatlake --version` prints)."""
    from importlib.metadata import version

    return version("chatlake")
