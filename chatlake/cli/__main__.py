"""`python -m chatlake.cli`: the same as the `chatlake` command."""

from chatlake.cli import app

app()
