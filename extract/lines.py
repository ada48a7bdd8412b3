"""Split byte chunks into complete lines and judge each line, without I/O."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator, BinaryIO

REJECT_HEAD_BYTES = 1024


@dataclass(frozen=True)
class RawLine:
    offset: int
    line_no: int  # 1-based, counting blank lines
    data: bytes  # without the trailing newline


def iter_complete_lines(
    stream: BinaryIO, start_offset: int, start_line_no: int, chunk_size: int = 8 << 20
) -> Iterator[RawLine]:
    """Yield newline-terminated lines from the current stream position.

    A trailing piece without a newline is Claude Code still writing: it is not yielded,
    so the next load picks it up whole. Lines longer than one chunk are assembled from
    several reads, so memory follows the longest line, not the file.
    """
    offset = start_offset
    line_no = start_line_no
    pending = b""
    while True:
        chunk = stream.read(chunk_size)
        if not chunk:
            return
        buf = pending + chunk if pending else chunk
        start = 0
        while True:
            end = buf.find(b"\n", start)
            if end < 0:
                break
            line_no += 1
            yield RawLine(offset, line_no, buf[start:end])
            offset += end - start + 1
            start = end + 1
        pending = buf[start:]


def line_end(line: RawLine) -> int:
    """Byte offset just past this line's newline."""
    return line.offset + len(line.data) + 1


@dataclass(frozen=True)
class Judged:
    """A parsed record, or the reason it was rejected."""

    record: dict[str, Any] | None
    text: str | None
    reason: str | None


def judge(data: bytes) -> Judged:
    """Parse one non-blank line; reject what is not a JSON object with a `type`."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Judged(None, None, f"invalid UTF-8 at byte {exc.start}")
    if text.endswith("\r"):
        text = text[:-1]
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return Judged(None, text, f"invalid JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:
        return Judged(None, text, "invalid JSON: nested too deeply")
    if not isinstance(value, dict):
        return Judged(None, text, f"not a JSON object: {type(value).__name__}")
    if not isinstance(value.get("type"), str) or not value["type"]:
        return Judged(None, text, "missing type")
    return Judged(value, text, None)


def is_blank(data: bytes) -> bool:
    return not data.strip()


def reject_head(data: bytes) -> str:
    """The first KB of a rejected line, readable even when it is not UTF-8."""
    return data[:REJECT_HEAD_BYTES].decode("utf-8", errors="replace")
