"""`--source`, the same option on every command that filters (search, usage, show, report)."""

from __future__ import annotations

import typer

from chatlake.core.sources import SOURCES


def source_option(what: str = "Only messages from"):
    """A repeatable --source (each may also be a comma-separated list), checked by chatlake.core.sources."""
    return typer.Option(None, "--source", help=f"{what} this source (repeat it, or separate with commas):"
                                               f" {', '.join(SOURCES)}.")
