"""The apps a message comes from (the marts' `source`), and how a `--source` filter is read."""

from __future__ import annotations

from chatlake.core.errors import BadOption
from chatlake.core.kinds import AGENT_SOURCES, CLAUDE_CODE

SOURCES = (CLAUDE_CODE, *AGENT_SOURCES, "chatgpt", "claude_ai")
# How a page or a table names them.
SOURCE_NAMES = {CLAUDE_CODE: "Claude Code", "codex": "Codex", "gemini_cli": "Gemini CLI", "chatgpt": "ChatGPT",
                "claude_ai": "Claude.ai"}


class UnknownSource(BadOption):
    """A --source that no importer writes: a usage error (exit 2)."""


def parse_sources(values: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...] | None:
    """The sources asked for, each once, from repeated and comma-separated values; None: every source."""
    if isinstance(values, str):
        values = [values]
    chosen = tuple(dict.fromkeys(s.strip() for item in values or [] for s in item.split(",") if s.strip()))
    unknown = [s for s in chosen if s not in SOURCES]
    if unknown:
        raise UnknownSource(f"unknown source {unknown[0]!r}; sources are {', '.join(SOURCES)}")
    return chosen or None


# The apps whose transcripts record token usage; chat exports carry none, so usage reports leave them out.
USAGE_SOURCES = (CLAUDE_CODE, *AGENT_SOURCES)
