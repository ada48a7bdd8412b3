"""The extractor: discover transcript files and land their raw lines in DuckDB.

`extract` and its result types load on first use: a re-run with nothing to do only walks the
roots (chatlake.extract.unchanged) and never needs the landing code or what it imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatlake.extract.land import ExtractResult, FileFailure, extract

__all__ = ["ExtractResult", "FileFailure", "extract"]


def __getattr__(name: str):
    if name in __all__:
        from chatlake.extract import land

        return getattr(land, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
