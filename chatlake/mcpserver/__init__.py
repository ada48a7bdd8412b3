"""`chatlake mcp`: the warehouse as an MCP server (stdio) for an assistant to search and query."""

from chatlake.mcpserver.server import build_server, serve
from chatlake.mcpserver.tools import Options

__all__ = ["Options", "build_server", "serve"]
