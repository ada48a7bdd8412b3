"""chatlake: a dbt-style warehouse of what you asked your AI coding assistants.

`import_transcripts` and `ImportSummary` load on first use: importing a stage (chatlake.embed,
chatlake.search) must not load the import pipeline, the extractor or dbt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatlake.pipeline import ImportSummary, import_transcripts

__all__ = ["ImportSummary", "import_transcripts"]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in __all__:
        from chatlake import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
