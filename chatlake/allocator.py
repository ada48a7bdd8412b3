"""A setting of the C allocator for the commands that move large buffers (glibc only)."""

from __future__ import annotations

import sys

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
