"""Where things live: resolved once, from flags, then environment, then defaults."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir(environ: dict[str, str] | None = None) -> Path:
    """`$XDG_DATA_HOME/chatlake`, else `~/.local/share/chatlake` (profiles.yml uses the same rule)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_DATA_HOME") or os.path.join(env.get("HOME") or str(Path.home()), ".local", "share")
    return Path(base) / "chatlake"


def resolve_db(flag: str | os.PathLike | None = None, environ: dict[str, str] | None = None) -> Path:
    """`--db`, else `$CHATLAKE_DB`, else the default under the data directory; always absolute."""
    env = os.environ if environ is None else environ
    chosen = flag or env.get("CHATLAKE_DB") or data_dir(env) / "chatlake.duckdb"
    return Path(chosen).expanduser().resolve()


PROJECT_ENV = "CHATLAKE_PROJECT_DIR"


def project_dir(environ: dict[str, str] | None = None) -> Path:
    """The dbt project every command uses: `$CHATLAKE_PROJECT_DIR` (a copy the user owns, made by
    `chatlake project init`), else the one installed with chatlake."""
    env = os.environ if environ is None else environ
    chosen = env.get(PROJECT_ENV)
    if chosen:
        path = Path(chosen).expanduser().resolve()
        if not (path / "dbt_project.yml").is_file():
            from chatlake.errors import ProjectMissing

            raise ProjectMissing(f"${PROJECT_ENV} is {chosen}, which holds no dbt_project.yml"
                                 " (make one with: chatlake project init DIR)")
        return path
    return installed_project_dir()


def installed_project_dir() -> Path:
    """The dbt project shipped with chatlake: `chatlake/project` in a wheel, the repository root in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "project", here.parent):
        if (candidate / "dbt_project.yml").is_file():
            return candidate
    raise FileNotFoundError("the chatlake dbt project is missing from this installation")
