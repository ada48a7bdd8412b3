"""Typed errors of the embed step; the CLI turns each into one line and an exit code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatlake.core.errors import ChatlakeError, UsageError
from chatlake.vectorstore.base import TargetError  # noqa: F401  (the store's errors reach embed's callers)

if TYPE_CHECKING:
    from chatlake.embed.api import EmbedSummary


class EmbedError(ChatlakeError):
    """Base class of the embed step's errors."""


class ConfigError(EmbedError, UsageError):
    """A flag or variable that cannot work (exit 2)."""


class ApiError(EmbedError):
    """The embedding API refused or kept failing after every retry."""


class Stopped(EmbedError):
    """The run stopped early; what was pushed before is kept and recorded."""

    def __init__(self, message: str, summary: "EmbedSummary") -> None:
        super().__init__(message)
        self.summary = summary


class Interrupted(Stopped):
    """Ctrl+C: in-flight work was finished or abandoned, everything pushed is recorded."""
