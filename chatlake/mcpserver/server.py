"""The MCP server: a few read-only tools over the warehouse, for an assistant to call mid-session.

Every declaration is sent to the model with each request, so the set is small and each
description says when to use the tool. Whatever leaves (answers and errors alike) passes the
embed step's redaction, since the assistant forwards tool results to its API.
"""

from __future__ import annotations

import threading
from typing import Annotated, Callable, Literal

from pydantic import Field

from chatlake.core.errors import ChatlakeError
from chatlake.core.kinds import MESSAGE_KINDS
from chatlake.core.sources import SOURCES
from chatlake.mcpserver import tools
from chatlake.mcpserver.tools import Options

INSTRUCTIONS = ("chatlake holds the user's own past prompts to AI coding assistants (Claude Code, Codex and"
                " Gemini CLI sessions, ChatGPT and Claude.ai exports) in a local DuckDB warehouse. Read-only.")

Mode = Literal["hybrid", "semantic", "text"]
# the marts' `source` and `kind` values, from where the commands' filters take them
Source = Literal[SOURCES]
Kind = Literal[MESSAGE_KINDS]
Period = Literal["day", "week", "month", "session", "block"]


def compact_schema(schema: dict) -> dict:
    """The same contract in fewer tokens: no pydantic titles, and an optional value's `null` left
    implicit (the parameter is already not required; the arguments are still validated as declared)."""
    if isinstance(schema, list):
        return [compact_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: compact_schema(value) for key, value in schema.items() if key != "title"}
    if "properties" in schema:  # a property may itself be named "title"
        out["properties"] = {name: compact_schema(value) for name, value in schema["properties"].items()}
    options = out.get("anyOf")
    if options and out.get("default", ...) is None and {"type": "null"} in options and len(options) == 2:
        out.pop("anyOf")
        out.pop("default")
        out.update(next(option for option in options if option != {"type": "null"}))
    return out


def build_server(opts: Options):
    """An MCPServer whose tools answer from the warehouse at `opts.db`."""
    from mcp.server import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.server.mcpserver.tools import Tool
    from mcp.types import ToolAnnotations

    from chatlake.core.settings import chatlake_version

    __version__ = chatlake_version()

    declared: list[Tool] = []
    # destructive and idempotent are left out: the spec gives them meaning only for tools that write
    read_only = ToolAnnotations(read_only_hint=True, open_world_hint=False)
    clean = tools.scrubber(opts.redact)
    # One call at a time: DuckDB shares one database instance per file within a process, and a
    # sandboxed connection cannot sit beside an ordinary one on the same file.
    one_at_a_time = threading.Lock()

    def answer(produce: Callable[[], str]) -> str:
        with one_at_a_time:
            try:
                return clean(produce())
            except ChatlakeError as exc:  # what the model can act on, as an error result
                raise ToolError(clean(str(exc))) from None

    def add(fn: Callable, title: str, **caps) -> None:
        description = " ".join(fn.__doc__.split()).format(**caps)  # one line: each space is a token
        tool = Tool.from_function(fn, title=title, description=description, annotations=read_only,
                                  structured_output=False)
        tool.parameters = compact_schema(tool.parameters)
        declared.append(tool)

    def search(
        query: Annotated[str, Field(description="Words, an error message, a file name, or a paraphrase.")],
        mode: Annotated[Mode, Field(description="hybrid: words and meaning; semantic: meaning; text: words"
                                                " only (\"a phrase\", -exclude). Without embeddings: text.")] = "hybrid",
        project: Annotated[str | None, Field(description="A project path or its last folder(s), e.g. api.")] = None,
        since: Annotated[str | None, Field(description="From this date on: YYYY-MM-DD or ISO time.")] = None,
        until: Annotated[str | None, Field(description="Up to this date, inclusive.")] = None,
        source: Source | None = None,
        kind: Annotated[list[Kind] | None, Field(description="prompt: typed text; command: slash commands;"
                                                             " bash: ! shell input; memory: # notes.")] = None,
        limit: Annotated[int, Field(ge=1, le=50)] = 10,
    ) -> str:
        """Search the user's past prompts to AI coding assistants. Use it when the user refers to earlier
        work ("last time we fixed the lock timeout", "what did I ask about X") or when a past decision
        would help. Hits give session id, message index, date, project, score and a snippet."""
        return answer(lambda: tools.search_messages(opts, query, mode, project, since, until, source, kind, limit))

    def sql(
        query: Annotated[str, Field(description="One DuckDB SELECT (or DESCRIBE, SHOW TABLES).")],
    ) -> str:
        """Run one read-only DuckDB query on the warehouse, for counts, lists and questions search cannot
        answer. Tables: main.human_messages (message_uuid, session_id, message_index, created_at, kind,
        content, project_path, git_branch, source), main.sessions (session_id, project_path, title,
        git_branch, first_at, last_at, human_message_count, source), main.assistant_responses (one per API
        response: session_id, created_at, model, text, input_tokens, output_tokens, cost_usd),
        main.tool_calls (session_id, tool_name, input, is_error, called_at). CSV back, at most {rows} rows and
        {chars:,} characters; no file access."""
        return answer(lambda: tools.run_sql(opts, query))

    def get_session(
        session_id: Annotated[str, Field(description="A session id from search, or its first 8+ characters.")],
        start: Annotated[int, Field(ge=0, description="First human message (a search hit's message index).")] = 0,
        count: Annotated[int, Field(ge=1, le=50)] = 10,
        include_responses: Annotated[bool, Field(description="The assistant's replies.")] = True,
        include_tools: Annotated[bool, Field(description="Tool calls and sub-agents, one line each.")] = False,
    ) -> str:
        """Read part of one past conversation as Markdown: `count` human messages from `start`, each
        with what followed it. Use it after search, to see what was answered and decided around a hit."""
        return answer(lambda: tools.session_window(opts, session_id, start, count, include_responses,
                                                   include_tools))

    def usage(
        period: Period = "day",
        since: Annotated[str | None, Field(description="YYYY-MM-DD, the first day counted.")] = None,
        until: Annotated[str | None, Field(description="YYYY-MM-DD, the last day counted.")] = None,
        project: Annotated[str | None, Field(description="A project path or its last folder(s).")] = None,
        breakdown: Annotated[bool, Field(description="A row per model too.")] = False,
    ) -> str:
        """Token usage (Claude Code, Codex, Gemini CLI) and its cost at API list prices, as ccusage reports
        it: per day, week, month, session or 5-hour billing block (with the active block's burn rate). Use
        it for "what did this cost", "how much did I use this week"."""
        return answer(lambda: tools.usage_figures(opts, period, since, until, project, breakdown))

    def status() -> str:
        """What the warehouse holds (sessions, messages by kind, first and last activity, embeddings) and
        when it was last imported. Use it to tell whether recent work is in there yet."""
        return answer(lambda: tools.warehouse_status(opts))

    add(search, "Search past prompts")
    add(get_session, "Read a past conversation")
    add(usage, "Token usage and cost")
    add(sql, "Query the warehouse", rows=opts.max_rows, chars=opts.max_chars)
    add(status, "Warehouse status")
    return MCPServer("chatlake", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING", tools=declared)


def serve(opts: Options) -> None:
    """Answer MCP requests on stdin/stdout until the client closes stdin."""
    build_server(opts).run("stdio")
