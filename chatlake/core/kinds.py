"""The kinds of human message, as the `human_messages` mart's `kind` column holds them.

SQL decides the kind (models/intermediate/int_user_records_classified.sql); this is the list the
commands accept for their filters. tests/test_layers.py holds it equal to the mart's accepted values.
"""

MESSAGE_KINDS = ("prompt", "command", "bash", "memory")

# The agent CLIs whose transcripts are imported beside Claude Code's (the marts' `source`).
CLAUDE_CODE = "claude_code"
CODEX = "codex"
GEMINI_CLI = "gemini_cli"
AGENT_SOURCES = (CODEX, GEMINI_CLI)
