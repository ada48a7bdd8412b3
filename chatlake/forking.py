"""What a forked helper process of chatlake does first, and how its parent waits for it."""

from __future__ import annotations

import os
import signal
import sys


def detach(parent: int) -> None:
    """In the child: let go of the parent's standard streams (a reader of its output must not
    wait for the child) and, on Linux, die when the parent dies."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    # new stream objects: the inherited ones may hold a lock taken by a thread of the parent
    sys.stdin = open(0, closefd=False)
    sys.stdout = open(1, "w", closefd=False)
    sys.stderr = open(2, "w", closefd=False)
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before that took effect
        raise SystemExit(1)


def reap(pid: int) -> None:
    """Wait for a child to end (it may have been reaped already)."""
    if pid:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def kill(pid: int) -> None:
    """SIGKILL a child and wait for it."""
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        reap(pid)
