"""The extractor: discover transcript files and land their raw lines in DuckDB."""

from chatlake.extract.land import ExtractResult, FileFailure, extract

__all__ = ["ExtractResult", "FileFailure", "extract"]
