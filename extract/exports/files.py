"""Find export files under the roots and stream their conversations one at a time.

A file given as a root (other than `.jsonl`) is read as an export whatever its name; inside a
folder only `conversations*.json` files and `.zip` archives holding one are considered. A zip is
recognised by its bytes, and every `conversations*.json` member is read (split exports).
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

import ijson

from chatlake.extract.discover import source_name
from chatlake.extract.escapes import SurrogateSafeReader
from chatlake.extract.exports.detect import is_conversations_member, is_export_name

STARTS = ("start_map", "start_array")
ENDS = ("end_map", "end_array")
WHITESPACE = b" \t\r\n"
BOM = b"\xef\xbb\xbf"
ZIP_MAGIC = b"PK\x03\x04"


class NotAnExport(ValueError):
    """The file holds no conversations list (the message says why)."""


@dataclass(frozen=True)
class ExportFile:
    """An export file as seen by one stat call; `explicit` when it was named as a root."""

    path: str  # as stored in raw.* (chatlake.extract.discover.source_name)
    size: int
    mtime_ns: int
    explicit: bool
    os_path: str = ""  # the name to open, when it differs from `path`

    @property
    def open_path(self) -> str:
        return self.os_path or self.path


def _stat(path: str, explicit: bool) -> ExportFile:
    st = os.stat(path)
    name = source_name(path)
    return ExportFile(name, st.st_size, st.st_mtime_ns, explicit, "" if name == path else path)


def find_exports(roots: list[Path], in_folders: dict) -> tuple[list[ExportFile], list[tuple[str, str]]]:
    """Export candidates: the files named as roots, plus `in_folders` (path -> stat), the files with
    an export-like name that the transcript walk met; and (path, error) for those that cannot be stat'ed."""
    found: dict[str, ExportFile] = {}
    errors: list[tuple[str, str]] = []
    for root in roots:
        root_path = os.path.abspath(root)
        if root_path.endswith(".jsonl") or not os.path.isfile(root_path):
            continue
        try:
            stat = _stat(root_path, explicit=True)
            found[stat.path] = stat
        except OSError as exc:
            errors.append((source_name(root_path), exc.strerror or str(exc)))
    for path, st in in_folders.items():
        if path not in found:
            found[path] = ExportFile(path, st.size, st.mtime_ns, explicit=False, os_path=st.os_path)
    return sorted(found.values(), key=lambda f: f.path), errors


def conversation_members(archive: zipfile.ZipFile) -> list[str]:
    return sorted(n for n in archive.namelist() if is_conversations_member(n) and not n.startswith("__MACOSX/"))


def is_export_zip(path: str) -> bool:
    """A zip archive with at least one conversations member (for zips found inside folders)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return bool(conversation_members(archive))
    except (OSError, zipfile.BadZipFile):
        return False


def _starts_like_zip(path: str) -> bool:
    """A zip's first local header signature: the file was meant as a zip even if its end is missing."""
    with open(path, "rb") as stream:
        return stream.read(4) == ZIP_MAGIC


def open_sources(path: str) -> Iterator[tuple[str, BinaryIO]]:
    """(name, binary stream) for each conversations document in the file: the file itself, or the
    members of a zip (named `archive.zip!member`). Raises NotAnExport or OSError."""
    if zipfile.is_zipfile(path):
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            raise NotAnExport(f"unreadable zip: {exc}") from None
        with archive:
            members = conversation_members(archive)
            if not members:
                raise NotAnExport("zip holds no conversations.json")
            for member in members:
                with archive.open(member) as stream:
                    yield f"{source_name(path)}!{member}", stream
        return
    if _starts_like_zip(path):
        raise NotAnExport("truncated or corrupt zip")
    with open(path, "rb") as stream:
        yield source_name(path), stream


class _Prefixed:
    """A stream whose first bytes were already read (to see how the document starts)."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self.head = head
        self.stream = stream

    def read(self, n: int = -1) -> bytes:
        if n == 0:
            return b""  # ijson probes with read(0) to tell bytes from text
        if self.head:
            data, self.head = self.head, b""
            return data
        return self.stream.read(n)


def _first_byte(stream: BinaryIO) -> tuple[bytes, bytes]:
    """The first significant byte of the document and what was read from it on (after the
    whitespace, which is dropped chunk by chunk: a long run of it costs linear time)."""
    read = b""
    at_start = True
    while True:
        chunk = stream.read(65536)
        if not chunk:
            return b"", b""
        if at_start:
            read += chunk
            if len(read) < len(BOM) and BOM.startswith(read):
                continue  # too short yet to tell a BOM
            at_start = False
            chunk = read[len(BOM):] if read.startswith(BOM) else read
        stripped = chunk.lstrip(WHITESPACE)
        if stripped:
            return stripped[:1], stripped


def _build(events, event: str, value):
    """The whole value that starts with (event, value)."""
    if event not in STARTS:
        return value
    builder = ijson.ObjectBuilder()
    builder.event(event, value)
    depth = 1
    while depth:
        _, event, value = next(events)
        builder.event(event, value)
        if event in STARTS:
            depth += 1
        elif event in ENDS:
            depth -= 1
    return builder.value


def _items(events) -> Iterator:
    """The items of an array whose start_array was just read, built one at a time."""
    for _, event, value in events:
        if event == "end_array":
            return
        yield _build(events, event, value)


def iter_conversations(stream: BinaryIO) -> Iterator:
    """Each conversation of a document, holding one in memory at a time: a list (the export), a
    `{"conversations": [...]}` wrapper, or a single conversation object. Raises NotAnExport, or
    ijson.JSONError for broken JSON (after the conversations before the break)."""
    first, head = _first_byte(stream)
    if first not in (b"[", b"{"):
        raise NotAnExport("empty file" if not first else "not a JSON list or object")
    # Numbers stay Decimal: with floats, one `1e400` (beyond a double) stops the parser for the rest
    # of the file. Whoever writes them out turns them into floats (or null).
    events = iter(ijson.parse(SurrogateSafeReader(_Prefixed(head, stream))))
    _, event, _ = next(events)
    if event == "start_array":
        yield from _items(events)
        return
    single: dict = {}
    wrapped = False
    for _, event, key in events:
        if event == "end_map":
            break
        _, event, value = next(events)
        if key == "conversations" and event == "start_array":
            wrapped = True
            yield from _items(events)
        elif not wrapped:
            single[key] = _build(events, event, value)
        else:
            _build(events, event, value)
    if not wrapped:
        yield single
