"""`chatlake project init|path|diff`: the user's own copy of the dbt project."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from chatlake.cli.common import fail, out
from chatlake.core.errors import ChatlakeError

project_app = typer.Typer(help="Your own copy of the dbt project (seeds, marts, analyses): init, path, diff.",
                          no_args_is_help=True)


@project_app.command("init")
def project_init_command(
    directory: Path = typer.Argument(..., help="Folder for the copy (made if missing)."),
    force: Optional[bool] = typer.Option(None, "--force", help="Overwrite the shipped files in a folder that already holds a copy."),
) -> None:
    """Copy the dbt project to DIRECTORY; set $CHATLAKE_PROJECT_DIR to it to make every command use it."""
    from chatlake.transform.project import init_project

    try:
        result = init_project(directory, force=bool(force))
    except ChatlakeError as exc:
        fail(exc)
    except OSError as exc:
        fail(f"{directory}: {exc.strerror or exc}")
    out.print(f"copied {result.files} files to {result.path}", highlight=False)
    out.print(f"use it:  export CHATLAKE_PROJECT_DIR={result.path}", highlight=False)
    out.print("then `chatlake import --full-refresh` applies your seeds and marts", highlight=False)


@project_app.command("path")
def project_path_command() -> None:
    """Print the dbt project every command uses."""
    from chatlake.core.settings import project_dir

    try:
        out.print(str(project_dir()), highlight=False)
    except ChatlakeError as exc:
        fail(exc)


@project_app.command("diff")
def project_diff_command() -> None:
    """List the installed project's files that your copy lacks or changed (exit 1 if any)."""
    from chatlake.transform.project import project_diff

    try:
        changed = project_diff()
    except ChatlakeError as exc:
        fail(exc)
    for line in changed:
        out.print(line, highlight=False)
    raise typer.Exit(1 if changed else 0)


