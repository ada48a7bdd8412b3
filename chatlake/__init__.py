"""chatlake: a dbt-style warehouse of what you asked your AI coding assistants."""

from chatlake.api import ImportSummary, import_transcripts

__all__ = ["ImportSummary", "import_transcripts"]
__version__ = "0.1.0"
