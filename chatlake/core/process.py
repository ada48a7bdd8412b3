"""Process-level helpers: what a forked child does first, how its parent waits for it, and the C
allocator setting of the commands that move large buffers (glibc only)."""

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


# mallopt(3) parameters
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def reuse_freed_memory() -> None:
    """Serve buffers up to 32 MB from the heap and keep freed memory (up to 1 GB) for reuse.

    `chatlake embed` reads a 17 MB answer per request and writes a 13 MB COPY buffer per batch
    (2,048 vectors of 1536 floats). glibc gives each such buffer fresh pages from the kernel and
    returns them when it is freed: 1.2 million page faults per 100,000 vectors, about 1.3 s of
    CPU; with this, 0.7 million. Set by the command line, which owns its process; a program
    calling the Python API keeps its own allocator settings. A no-op where glibc is not the C
    library.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20)
        libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30)
    except (OSError, AttributeError):  # musl and others: no mallopt
        pass
