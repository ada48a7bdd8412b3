"""The `chatlake` command: a thin typer layer over the library, one module per command.

Each command parses its flags, makes one library call, and turns the library's typed errors into
a one-line message and an exit code (chatlake.cli.common). A new command is a module here and one
line below.
"""

from __future__ import annotations

import typer

from chatlake.cli import embed, import_, mcp, project, report, search, show, sql, status, usage
from chatlake.cli.common import out

app = typer.Typer(
    help="A local warehouse of everything you asked Claude Code (and other assistants).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        out.print(f"chatlake {version('chatlake')}", highlight=False)
        raise typer.Exit(0)


@app.callback()
def _root(
    _version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                  help="Print the version and exit."),
) -> None:
    """chatlake: import, embed and search what you asked your AI coding assistants."""


app.command("import")(import_.import_command)
app.command("embed")(embed.embed_command)
app.command("search")(search.search_command)
app.command("sql", cls=sql.SqlCommand)(sql.sql_command)
app.command("status")(status.status_command)
app.command("show")(show.show_command)
app.command("report")(report.report_command)
app.add_typer(project.project_app, name="project")
app.add_typer(usage.usage_app, name="usage")
app.command("mcp")(mcp.mcp_command)


def main() -> None:  # pragma: no cover - console entry point
    app()
