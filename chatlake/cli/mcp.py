"""`chatlake mcp`: the warehouse as an MCP server on stdin/stdout (chatlake.mcpserver)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from chatlake.cli.common import EXIT_INTERRUPTED, db_option, err, fail
from chatlake.core.errors import ChatlakeError

WAIT_SECONDS = 30.0
REGISTER = "claude mcp add --scope user chatlake -- chatlake mcp"


def mcp_command(
    db: Optional[Path] = db_option(),
    wait: Optional[float] = typer.Option(None, "--wait", min=0, help=f"Seconds a call waits for an import that holds the warehouse before it answers that one is running (default {WAIT_SECONDS:g})."),
    no_redact: Optional[bool] = typer.Option(None, "--no-redact", help="Send texts as they are, secrets included (default: API keys, tokens, private keys and passwords in URLs are replaced by [REDACTED:kind])."),
) -> None:
    """Serve the warehouse to an AI assistant over MCP (stdio): read-only search, get_session, usage, sql, status.

    Register it with Claude Code: claude mcp add --scope user chatlake -- chatlake mcp
    """
    from chatlake.core.settings import resolve_db
    from chatlake.mcpserver import Options, serve

    try:
        opts = Options(resolve_db(db), wait=WAIT_SECONDS if wait is None else wait, redact=not no_redact)
    except ChatlakeError as exc:
        fail(exc)
    if sys.stdin.isatty():  # someone ran it by hand: stdout is the protocol's, stderr may explain
        err.print(f"chatlake mcp speaks MCP on stdin and stdout (Ctrl+C to stop); register it: {REGISTER}",
                  highlight=False)
    try:
        serve(opts)
    except KeyboardInterrupt:
        raise typer.Exit(EXIT_INTERRUPTED)
