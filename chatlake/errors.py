"""Typed errors; the CLI alone turns them into one line and an exit code."""


class ChatlakeError(Exception):
    """Base class for errors a user can act on."""


class DatabaseLocked(ChatlakeError):
    """Another process holds the DuckDB write lock."""


class BuildFailed(ChatlakeError):
    """dbt could not run at all (not: a test failed)."""


class ProjectMissing(ChatlakeError):
    """The dbt project chosen by `$CHATLAKE_PROJECT_DIR` is not there."""


class BadDatabasePath(ChatlakeError):
    """The warehouse path cannot be a file (a parent is a file): a usage error."""


class ImportInterrupted(ChatlakeError):
    """Ctrl+C during an import; the message says what of the run was committed."""


class BadOption(ChatlakeError):
    """A flag's value cannot be used (a date, a time zone): a usage error, exit 2."""
