"""A call that finds the warehouse locked by an import waits for it, up to a bound, then says so."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

from chatlake.core.errors import ChatlakeError, DatabaseLocked

T = TypeVar("T")
RETRY_SECONDS = 0.25
_CLI_HINT = "; wait for it to finish or pass --wait"


class ImportRunning(ChatlakeError):
    """The warehouse stayed locked (an import is running) for longer than the call may wait."""


def busy_message(error: DatabaseLocked, waited: float) -> str:
    """What the model reads: who holds the warehouse, how long we waited, what to do."""
    holder = str(error).removesuffix(_CLI_HINT)
    return (f"an import is running ({holder}); waited {waited:.0f} s for it."
            " Try again in a minute, or answer without the warehouse.")


def patiently(call: Callable[[float], T], wait: float, clock: Callable[[], float] = time.monotonic,
              sleep: Callable[[float], None] = time.sleep) -> T:
    """`call(seconds_left)` until it no longer finds the warehouse locked, for at most `wait` seconds.

    The library calls wait themselves when given `seconds_left`; retrying here also covers those
    that do not, and a lock taken again between two of a call's connections.
    """
    start = clock()
    while True:
        left = max(0.0, start + wait - clock())
        try:
            return call(left)
        except DatabaseLocked as exc:
            if clock() - start >= wait:
                raise ImportRunning(busy_message(exc, wait)) from None
        sleep(min(RETRY_SECONDS, max(0.0, start + wait - clock())))
