"""Other agent CLIs than Claude Code: OpenAI's Codex CLI and Google's Gemini CLI.

Their files are found by the same walk as Claude Code's (told apart by name, `kinds.py`) and land
in tables of their own (`schema.py`) inside the same load transaction (`land.py`).
"""
