"""A re-run that has nothing to do, told from a walk of the roots without opening the warehouse.

After an import that left every transcript landed and the marts built, a small record beside the
warehouse keeps what that import knew: the size and mtime `raw.files` holds for each transcript,
the warehouse file's own size and mtime, and the message total. A later import whose walk finds
exactly those stats, with the warehouse untouched since, would land nothing and build nothing; it
answers from the walk alone, without loading DuckDB or taking the write lock. Any difference (a new,
grown or touched file, an export among the roots, an unreadable place that was not there before or
is gone, the warehouse changed by anything else, a write-ahead log present) sends the import the
usual way.

The record (`.<warehouse name>.noop-cache.json`) is a disposable cache, not state: deleting it
costs the next import one look into the warehouse, nothing else. Everything it holds is in the
warehouse too.

The record also keeps the unreadable places (a symlink loop, a folder without permission) that
import met and reported: a later import reports only the ones that are new, so one bad entry
fails one import, not every one after it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from chatlake.extract.discover import FileStat, Walk, walk_roots
from chatlake.extract.schema import LATEST as SCHEMA

# 2: the releases with the usage marts. A record in another format, or from another raw schema
# (an upgrade of chatlake), sends the next import the usual way, which migrates the warehouse and
# builds the marts the release added, from the lines already landed.
FORMAT = 2


@dataclass(frozen=True)
class Unchanged:
    stats: list[FileStat]
    human_messages_total: int


@dataclass(frozen=True)
class Verdict:
    """`same` when nothing changed since the remembered import. Otherwise the walk, when one was
    made (for the extract to use instead of walking again), and `grown`: a transcript is new or
    its size differs from the record, so a load (and a build) is coming."""

    same: Unchanged | None = None
    walk: Walk | None = None
    grown: bool = False
    reported: frozenset[tuple[str, str]] = frozenset()  # unreadable places already reported


def record_path(db: Path) -> Path:
    return db.with_name(f".{db.name}.noop-cache.json")


def _warehouse_stamp(db: Path) -> list[int] | None:
    """The warehouse file's size and mtime; None while it has a write-ahead log (a write is pending)."""
    if Path(f"{db}.wal").exists():
        return None
    try:
        st = os.stat(db)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def _scope(roots: list[Path], source_kind: str | None) -> dict:
    return {"roots": sorted(os.path.abspath(r) for r in roots), "source_kind": source_kind}


def _walkable(roots: list[Path]) -> bool:
    """Roots an unchanged walk can vouch for: folders and single transcripts, not export files."""
    return all(not os.path.isfile(r) or str(r).endswith(".jsonl") for r in roots)


def forget(db: Path) -> None:
    try:
        record_path(db).unlink()
    except OSError:
        pass


def remember(db: Path, roots: list[Path], source_kind: str | None, landed: dict[str, tuple[int, int]],
             human_messages_total: int, unreadable: list[tuple[str, str]] = ()) -> None:
    """Keep what an import that ended fully landed and built knew; call after the warehouse is closed.

    `landed` maps each transcript to the (size, mtime_ns) raw.files holds for it; `unreadable` is
    the (path, error) of each place the walk could not read, all reported by now.
    """
    stamp = _warehouse_stamp(db)
    if stamp is None or not _walkable(roots):
        forget(db)
        return
    record = {"format": FORMAT, "schema": SCHEMA, **_scope(roots, source_kind), "warehouse": stamp,
              "human_messages_total": human_messages_total, "files": landed,
              "unreadable": sorted(list(e) for e in unreadable)}
    target = record_path(db)
    temporary = target.with_name(target.name + f".{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(record, separators=(",", ":")))
        os.replace(temporary, target)
    except OSError:  # a read-only folder: every import goes the usual way
        temporary.unlink(missing_ok=True)


def check(db: Path, roots: list[Path], source_kind: str | None) -> Verdict:
    """Compare a walk of the roots with the record of the last import (see the module's doc)."""
    try:
        record = json.loads(record_path(db).read_text())
    except (OSError, ValueError):
        return Verdict()
    if not isinstance(record, dict) or record.get("format") != FORMAT or record.get("schema") != SCHEMA:
        return Verdict()
    if {k: record.get(k) for k in ("roots", "source_kind")} != _scope(roots, source_kind):
        return Verdict()
    unreadable = sorted(tuple(e) for e in record.get("unreadable") or [] if isinstance(e, list) and len(e) == 2)
    reported = frozenset(unreadable)
    if record.get("warehouse") != _warehouse_stamp(db) or not _walkable(roots):
        return Verdict(reported=reported)
    walk = walk_roots(roots)
    files = record.get("files") or {}
    known = [files.get(stat.path) for stat in walk.stats]
    grown = any(k is None or k[0] != stat.size for k, stat in zip(known, walk.stats))
    if walk.errors != unreadable or walk.exports or grown:
        return Verdict(walk=walk, grown=grown, reported=reported)
    if any(k != [stat.size, stat.mtime_ns] for k, stat in zip(known, walk.stats)):
        return Verdict(walk=walk, reported=reported)
    return Verdict(same=Unchanged(walk.stats, int(record.get("human_messages_total") or 0)))
