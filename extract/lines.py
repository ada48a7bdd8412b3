"""Split byte chunks into complete lines and describe bad ones, without I/O."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import BinaryIO, Iterator

REJECT_HEAD_CHARS = 1024
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class RawLine:
    offset: int
    line_no: int  # 1-based, counting blank lines
    data: bytes  # without the trailing newline
    terminated: bool = True  # False for a last line that has no newline (yet)


def iter_lines(
    stream: BinaryIO, start_offset: int, start_line_no: int, chunk_size: int = 8 << 20,
    after_unterminated: bool = False,
) -> Iterator[RawLine]:
    """Yield the lines from the current stream position, the last one possibly unterminated.

    `after_unterminated` says the previous load took a last line that had no newline: the
    newline that now ends it is skipped instead of being read as a blank line. Lines
    longer than one chunk are assembled from several reads, so memory follows the
    longest line, not the file.
    """
    offset = start_offset
    line_no = start_line_no
    pending = b""
    # Pieces of a line longer than a chunk, joined once its end is found: appending each
    # chunk to the piece before would copy a 500 MB line dozens of times.
    pieces: list[bytes] = []
    first = True
    while True:
        chunk = stream.read(chunk_size)
        if not chunk:
            if pieces:
                pending = b"".join([*pieces, pending])
            if pending:
                yield RawLine(offset, line_no + 1, pending, terminated=False)
            return
        if first:
            first = False
            if after_unterminated and chunk.startswith(b"\n"):
                chunk = chunk[1:]
                offset += 1
            elif start_offset == 0 and chunk.startswith(BOM):
                # Written by some Windows editors; it belongs to the file, not to its first record.
                chunk = chunk[len(BOM):]
                offset += len(BOM)
        if b"\n" not in chunk:
            pieces.append(pending)
            pending = chunk
            continue
        if pieces:
            pending = b"".join([*pieces, pending])
            pieces = []
        buf = pending + chunk if pending else chunk
        start = 0
        find = buf.find
        while True:
            end = find(b"\n", start)
            if end < 0:
                break
            line_no += 1
            yield RawLine(offset, line_no, buf[start:end])
            offset += end - start + 1
            start = end + 1
        pending = buf[start:]


def line_end(line: RawLine) -> int:
    """Byte offset just past this line (and its newline, when it has one)."""
    return line.offset + len(line.data) + (1 if line.terminated else 0)


def is_complete_record(data: bytes) -> bool:
    """True when a last line without a newline is nevertheless a whole transcript record.

    Claude Code writes each record with its newline in one call, so an unterminated tail
    is either a record still being written (not valid JSON yet: wait for it) or a file
    whose writer stopped before the final newline (a whole object: land it now).
    """
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return False
    return isinstance(value, dict) and isinstance(value.get("type"), str) and value["type"] != ""


def is_blank(data: bytes) -> bool:
    return not data.strip()


def decode(data: bytes) -> tuple[str | None, str | None]:
    """The line as text (without a trailing CR), or the reason it is not UTF-8."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"invalid UTF-8 at byte {exc.start}"
    return (text[:-1] if text.endswith("\r") else text), None


def json_error(text: str) -> str:
    """Why a line that DuckDB found invalid is not JSON, in Python's words."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        # Some of Python's messages end in "at" ("Unterminated string starting at").
        return f"invalid JSON: {exc.msg.removesuffix(' at')} at column {exc.colno}"
    except (RecursionError, ValueError):
        return "invalid JSON: nested too deeply"
    return "invalid JSON"


def reject_head(data: bytes) -> str:
    """The first KB of a rejected line, readable even when it is not UTF-8."""
    return data[:REJECT_HEAD_CHARS].decode("utf-8", errors="replace")
