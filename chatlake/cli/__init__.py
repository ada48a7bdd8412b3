"""The `chatlake` command: a thin typer layer over the library, one module per command.

Each command parses its flags, makes one library call, and turns the library's typed errors into
a one-line message and an exit code (chatlake.cli.common). A new command is a module here and one
line in COMMANDS below. A command's module is imported only when that command runs (or help lists
it): `chatlake usage daily --json` then pays for itself alone, not for the importer and the embedder.
"""

from __future__ import annotations

import typer

import importlib

import typer.core
import typer.main

from chatlake.cli.common import out

# name: (module, attribute): a command function, or a typer app for a command with subcommands
COMMANDS = {
    "import": ("import_", "import_command"),
    "embed": ("embed", "embed_command"),
    "search": ("search", "search_command"),
    "sql": ("sql", "sql_command"),
    "status": ("status", "status_command"),
    "show": ("show", "show_command"),
    "report": ("report", "report_command"),
    "project": ("project", "project_app"),
    "usage": ("usage", "usage_app"),
    "mcp": ("mcp", "mcp_command"),
}


class LazyGroup(typer.core.TyperGroup):
    """The root group: knows its commands by name, builds each from its module on first use."""

    def list_commands(self, ctx) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx, name: str):
        if name not in COMMANDS:
            return None
        if name not in self.commands:
            module_name, attribute = COMMANDS[name]
            module = importlib.import_module(f"chatlake.cli.{module_name}")
            target = getattr(module, attribute)
            if isinstance(target, typer.Typer):
                command = typer.main.get_group(target)
            else:
                single = typer.Typer(context_settings={"help_option_names": ["-h", "--help"]})
                single.command(name, cls=getattr(module, "COMMAND_CLASS", None))(target)
                command = typer.main.get_command(single)
            command.name = name
            self.commands[name] = command
        return self.commands[name]


app = typer.Typer(
    cls=LazyGroup,
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


def main() -> None:  # pragma: no cover - console entry point
    app()
