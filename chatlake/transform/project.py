"""The user's own copy of the dbt project: seeds, marts and analyses in a folder they own.

`chatlake project init DIR` copies the installed project there and notes which models it was
copied from; with `$CHATLAKE_PROJECT_DIR` set to DIR, every command builds and reads that copy.
When chatlake is upgraded and its models change, `upgrade_notice()` says so, once per command.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from chatlake.core.settings import PROJECT_ENV, chatlake_version, installed_project_dir, project_dir
from chatlake.core.errors import UsageError

# What dbt reads from a project (and what a copy holds): a change to any of it can change a
# view or the seed; nothing dbt writes.
PARTS = ("dbt_project.yml", "profiles.yml", "selectors.yml", "models", "macros", "seeds", "analyses")
# Beside the copy: the chatlake version and the fingerprint of the models it was copied from.
STAMP = ".chatlake-project.json"


class ProjectExists(UsageError):
    """`project init` would overwrite a folder that already holds a dbt project."""


@dataclass(frozen=True)
class InitResult:
    path: Path
    files: int


def hash_files(digest, project: Path) -> None:
    """Feed the project's files (paths and contents) to `digest`, in a fixed order."""
    for file in project_files(project):
        digest.update(file.relative_to(project).as_posix().encode() + b"\0")
        digest.update(file.read_bytes() + b"\0")


def shipped_fingerprint(project: Path | None = None) -> str:
    """SHA-256 over the project's files, dbt's own files left out."""
    digest = hashlib.sha256()
    hash_files(digest, project or installed_project_dir())
    return digest.hexdigest()


def project_files(project: Path) -> list[Path]:
    """What dbt reads from the project, in a fixed order."""
    found: list[Path] = []
    for part in PARTS:
        path = project / part
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file() and "__pycache__" not in file.parts:
                found.append(file)
    return found


def init_project(dest: Path, force: bool = False) -> InitResult:
    """Copy the installed dbt project to `dest` (made if missing)."""
    __version__ = chatlake_version()

    dest = Path(dest).expanduser().resolve()
    if (dest / "dbt_project.yml").exists() and not force:
        raise ProjectExists(f"{dest} already holds a dbt project (--force overwrites the shipped files)")
    if dest.exists() and not dest.is_dir():
        raise ProjectExists(f"{dest} is a file, not a folder")
    source = installed_project_dir()
    files = project_files(source)
    for file in files:
        target = dest / file.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, target)
    (dest / STAMP).write_text(json.dumps(
        {"chatlake_version": __version__, "models_fingerprint": shipped_fingerprint(source)}, indent=2) + "\n")
    return InitResult(dest, len(files))


def upgrade_notice() -> str | None:
    """One line when the project in use is a user's copy made from other models than the installed ones."""
    project = project_dir()
    if project == installed_project_dir():
        return None
    try:
        stamp = json.loads((project / STAMP).read_text())
    except (OSError, ValueError):
        return None  # a project made by hand: nothing to compare with
    if stamp.get("models_fingerprint") == shipped_fingerprint():
        return None
    __version__ = chatlake_version()

    return (f"your dbt project ({project}, ${PROJECT_ENV}) was copied from chatlake "
            f"{stamp.get('chatlake_version', '?')}; the models installed with chatlake {__version__} differ:"
            f" compare them with `chatlake project diff`")


def project_diff() -> list[str]:
    """Files of the installed project that the copy in use lacks or holds with other contents."""
    project, source = project_dir(), installed_project_dir()
    changed = []
    for file in project_files(source):
        relative = file.relative_to(source)
        mine = project / relative
        if not mine.is_file():
            changed.append(f"missing: {relative.as_posix()}")
        elif mine.read_bytes() != file.read_bytes():
            changed.append(f"differs: {relative.as_posix()}")
    return changed
