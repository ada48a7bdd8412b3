"""Typed errors; the CLI alone turns them into one line and an exit code."""


class ChatlakeError(Exception):
    """Base class for errors a user can act on (exit status 1)."""


class UsageError(ChatlakeError):
    """The command was asked for something that cannot be (exit status 2): a bad flag value, flags
    that contradict each other, a warehouse path that cannot be a file."""


class DatabaseLocked(ChatlakeError):
    """Another process holds the DuckDB write lock."""


class BuildFailed(ChatlakeError):
    """dbt could not run at all (not: a test failed)."""


class ProjectMissing(UsageError):
    """The dbt project chosen by `$CHATLAKE_PROJECT_DIR` is not there."""


class BadDatabasePath(UsageError):
    """The warehouse path cannot be a file (a parent is a file)."""


class ImportInterrupted(ChatlakeError):
    """Ctrl+C during an import; the message says what of the run was committed."""


class BadOption(UsageError):
    """A flag's value cannot be used (a date, a time zone): a usage error, exit 2."""
