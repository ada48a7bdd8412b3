"""Conformance: the importer on the real public transcripts in ../shared/corpus, judged by FORMAT.md.

One import of the whole corpus (extract + a real `dbt build`) is shared by every test here.
What the files hold is computed independently, by reading them in the test; what counts as a
human message is checked record by record on the samples FORMAT.md cites, and on every user
record of the corpus against an oracle written from FORMAT.md section 7.2 alone (it does not
read the `injected_markers` seed).
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from pathlib import Path

import pytest

from chatlake.pipeline import import_transcripts
from conftest import CORPUS
from helpers import query

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"the public transcript corpus is absent ({CORPUS})"
)

ROOT = os.path.abspath(CORPUS)
# Other agents' transcripts (Codex CLI, Gemini CLI, Copilot CLI) are not Claude Code's format.
OTHER_AGENTS = "agents"
CCL = "claude-code-log-iansherr-fork/test/test_data"
RP = f"{CCL}/real_projects"
MSG = "claude-code-log-iansherr-fork/docs/development/messages"
UPSTREAM = "claude-code-log-upstream-index/test/test_data"
SNF = "sniffly/tests/mock-data/-Users-chip-dev-ai-music"
POLY = "polylogue/tests/fixtures/claude-code"

DOCTOR = f"{RP}/-Users-dain-workspace-claude-code-log-sample/0d3a8e6f-290f-4105-a327-a2496e5e2a83.jsonl"
CODERABBIT = f"{RP}/-Users-dain-workspace-coderabbit-review-helper/cb2e607c-c758-415a-8b45-c49e4631906a.jsonl"
IDEAS = f"{RP}/-experiments-ideas/03eb5929-52b3-4b13-ada3-b93ae35806b8.jsonl"
WORKTREES = f"{RP}/-experiments-worktrees/ef958aa1-0e93-49f0-bb71-150f63befcd1"
TEAMMATES = f"{CCL}/teammates/ef000000-0000-4000-8000-000000000001"

# FORMAT.md 7.2, rules 4 and 5, copied from the text (not from the seed the model reads).
INJECTED_PREFIXES = (
    "Caveat: The messages below were generated", "<local-command-caveat>", "<local-command-stdout>",
    "<local-command-stderr>", "<bash-stdout>", "<bash-stderr>", "[Request interrupted by user",
    "<task-notification>", "<teammate-message", "<cross-session-message", "Stop hook feedback:", "API Error:",
)
COMPACTION_PREFIX = "This session is being continued from a previous conversation"
WRAPPERS = ("ide_opened_file", "ide_selection", "system-reminder")
WHITESPACE = " \t\n\r"


def claude_roots() -> list[Path]:
    """The corpus's top-level folders, less the other agents'."""
    return [Path(ROOT, d) for d in sorted(os.listdir(ROOT)) if d != OTHER_AGENTS and Path(ROOT, d).is_dir()]


def rel(path: str) -> str:
    return os.path.relpath(path, ROOT)


def transcript_files() -> list[str]:
    """Every Claude Code transcript under the corpus (FORMAT.md section 1), relative paths."""
    found = []
    for dirpath, dirs, names in os.walk(ROOT):
        if dirpath == ROOT and OTHER_AGENTS in dirs:
            dirs.remove(OTHER_AGENTS)
        for name in names:
            if name.endswith(".jsonl") and name != "journal.jsonl":
                found.append(rel(os.path.join(dirpath, name)))
    return sorted(found)


def file_lines(relpath: str) -> list[tuple[int, int, bytes]]:
    """(line_no, byte_offset, bytes) of every non-blank line; `\\n` separates lines (FORMAT.md section 2)."""
    data = Path(ROOT, relpath).read_bytes()
    out, offset = [], 0
    for line_no, piece in enumerate(data.split(b"\n"), start=1):
        if piece.strip():
            out.append((line_no, offset, piece))
        offset += len(piece) + 1
    return out


# Python's and JSON's names of a value's type, both to JSON's (a reason may use either).
JSON_TYPES = {"str": "string", "int": "number", "integer": "number", "float": "number", "list": "array",
              "bool": "boolean", "NoneType": "null"}


def expected_reject_reason(piece: bytes) -> str | None:
    """Why FORMAT.md section 2 says a line is not a record: None for a JSON object with a type."""
    try:
        value = json.loads(piece.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "invalid JSON"
    if not isinstance(value, dict):
        return f"not a JSON object: {JSON_TYPES[type(value).__name__]}"
    if not isinstance(value.get("type"), str) or not value["type"]:
        return "missing type"
    return None


def reason_category(reason: str) -> str:
    """A rejection reason without its detail, the JSON type named in JSON's words or Python's."""
    if reason.startswith("invalid JSON"):
        return "invalid JSON"
    found = re.fullmatch(r"not a JSON object: (\w+)", reason)
    if found:
        return f"not a JSON object: {JSON_TYPES.get(found.group(1), found.group(1))}"
    return reason


def _text(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [b if isinstance(b, str) else b.get("text") for b in content
                 if isinstance(b, str) or (isinstance(b, dict) and b.get("type") == "text")]
        return "\n".join(p for p in parts if isinstance(p, str))
    return ""


def format_rule(record: dict) -> tuple[bool, str | None, str | None]:
    """FORMAT.md 7.2 on one user record: (is_human, kind, rendered content)."""
    message = record.get("message")
    if not isinstance(message, dict) or message.get("role") != "user":
        return False, None, None
    if record.get("isSidechain") is True or record.get("agentId") is not None:
        return False, None, None
    if record.get("isMeta") is True or record.get("isCompactSummary") is True:
        return False, None, None
    content = message.get("content")
    blocks = content if isinstance(content, list) else []
    if any(isinstance(b, dict) and b.get("type") == "tool_result" for b in blocks):
        return False, None, None
    if record.get("toolUseResult") is not None:
        return False, None, None
    text = _text(content)
    for tag in WRAPPERS:
        text = re.sub(rf"(?s)<{tag}(\s[^>]*)?>.*?</{tag}>", "", text)
    text = text.strip(WHITESPACE)
    media = sum(1 for b in blocks if isinstance(b, dict) and b.get("type") in ("image", "document"))
    if not text and not media:
        return False, None, None
    if text.startswith(COMPACTION_PREFIX) or text.startswith(INJECTED_PREFIXES):
        return False, None, None
    if "<command-name>" in text:
        name = re.search(r"(?s)<command-name>(.*?)</command-name>", text).group(1).strip().lstrip("/")
        args = re.search(r"(?s)<command-args>(.*?)</command-args>", text)
        args = args.group(1).strip() if args else ""
        return True, "command", f"/{name} {args}" if args else f"/{name}"
    if text.startswith("<bash-input>"):
        return True, "bash", re.match(r"(?s)<bash-input>(.*?)(</bash-input>|$)", text).group(1).strip()
    if text.startswith("<user-memory-input>"):
        return True, "memory", re.match(r"(?s)<user-memory-input>(.*?)(</user-memory-input>|$)", text).group(1).strip()
    return True, "prompt", text


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory):
    """The whole corpus imported once, in place (the importer only reads), with a real dbt build."""
    home = tmp_path_factory.mktemp("conformance-home")
    db = tmp_path_factory.mktemp("conformance") / "corpus.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        for var in ("XDG_DATA_HOME", "CHATLAKE_DB", "CLAUDE_CONFIG_DIR", "CHATLAKE_ROOTS"):
            mp.delenv(var, raising=False)
        summary = import_transcripts(claude_roots(), db)
    return db, summary


@pytest.fixture(scope="module")
def db(corpus_db):
    """The corpus warehouse (overrides conftest's empty per-test `db`)."""
    return corpus_db[0]


@pytest.fixture(scope="module")
def summary(corpus_db):
    return corpus_db[1]


@pytest.fixture(scope="module")
def classified(db):
    """(relative file, line_no) -> (is_human, exclusion_reason, kind, content, image_count)."""
    rows = query(db, "select source_file, line_no, is_human, exclusion_reason, kind, content, image_count"
                     " from int_user_records_classified")
    return {(rel(r[0]), r[1]): r[2:] for r in rows}


# -- 1. the whole corpus lands ------------------------------------------------------------


def test_the_whole_corpus_imports_without_failures(summary):
    files = transcript_files()
    assert summary.files_failed == 0
    assert summary.failures == []
    assert summary.built and summary.build_ok
    assert summary.ok
    assert summary.files_seen == summary.files_new == len(files) == 188


def test_every_transcript_file_is_discovered_and_nothing_else(db):
    landed = {rel(r[0]) for r in query(db, "select source_file from raw.files")}
    assert landed == set(transcript_files())
    assert not any(p.endswith((".json", "journal.jsonl")) for p in landed)


def test_every_non_blank_line_is_landed_or_rejected(db, summary):
    landed, rejected = defaultdict(dict), defaultdict(dict)
    for path, line_no, offset in query(db, "select source_file, line_no, byte_offset from raw.lines"):
        assert line_no not in landed[rel(path)], f"{rel(path)}:{line_no} landed twice"
        landed[rel(path)][line_no] = offset
    for path, line_no, offset, reason in query(
        db, "select source_file, line_no, byte_offset, reason from raw.rejected_lines"
    ):
        assert reason and reason.strip(), f"{rel(path)}:{line_no} rejected without a reason"
        assert line_no not in rejected[rel(path)], f"{rel(path)}:{line_no} rejected twice"
        rejected[rel(path)][line_no] = offset

    problems = {}
    total = 0
    for path in transcript_files():
        expected = {line_no: offset for line_no, offset, _ in file_lines(path)}
        total += len(expected)
        got_landed, got_rejected = landed.get(path, {}), rejected.get(path, {})
        both = set(got_landed) & set(got_rejected)
        got = {**got_landed, **got_rejected}
        if got != expected or both:
            problems[path] = {
                "lines": len(expected), "landed": len(got_landed), "rejected": len(got_rejected),
                "missing": sorted(set(expected) - set(got)), "unexpected": sorted(set(got) - set(expected)),
                "wrong_offset": sorted(n for n in set(got) & set(expected) if got[n] != expected[n]),
                "landed_and_rejected": sorted(both),
            }
    assert not problems, "lines neither landed nor rejected, or misplaced:\n" + "\n".join(
        f"  {path}: {detail}" for path, detail in problems.items()
    )
    assert summary.lines_landed + summary.lines_rejected == total


# -- 2. malformed lines are rejected with their reason ------------------------------------


@pytest.mark.parametrize("copy", [CCL, "claude-code-log/test/test_data"])
def test_edge_case_lines_are_rejected_with_reasons(db, copy):
    path = os.path.join(ROOT, copy, "edge_cases.jsonl")
    rows = query(db, "select line_no, reason, line_head from raw.rejected_lines where source_file = ?"
                     " order by line_no", [path])
    assert [(n, reason_category(r), head) for n, r, head in rows] == [
        (13, "not a JSON object: string", '"massive error"'),
        (14, "missing type", '{"silly": "this"}'),
        (15, "not a JSON object: number", "42"),
        (16, "not a JSON object: array", "[1]"),
    ]
    # Broken but typed records are kept: `timesstamp` and a string `message` (:11), `contenst` (:10).
    kept = {r[0] for r in query(db, "select line_no from raw.lines where source_file = ?", [path])}
    assert {10, 11, 12, 17} <= kept


def test_usage_only_lines_without_type_are_rejected(db):
    rows = query(db, "select source_file, line_no, reason from raw.rejected_lines"
                     " where source_file like '%/ccusage/%/projects/%' order by all")
    assert [(rel(p).split("/")[-3], n, r) for p, n, r in rows] == [
        ("project-alpha", 1, "missing type"), ("project-alpha", 2, "missing type"),
        ("project-alpha", 3, "missing type"), ("project-beta", 1, "missing type"),
        ("project-beta", 2, "missing type"),
    ]


def test_every_rejection_in_the_corpus_has_the_reason_an_independent_parse_gives(db):
    expected = {}
    for path in transcript_files():
        for line_no, _, piece in file_lines(path):
            reason = expected_reject_reason(piece)
            if reason is not None:
                expected[(path, line_no)] = reason
    got = {(rel(p), n): r for p, n, r in query(db, "select source_file, line_no, reason from raw.rejected_lines")}
    assert {k: reason_category(v) for k, v in got.items()} == expected
    assert len(expected) == 13


# -- 3. the human-message rule on the records FORMAT.md cites -----------------------------

HUMAN, NOT = True, False
CITED = [
    # (file, line, is_human, exclusion_reason, kind, content: exact or a prefix ending in "…", images)
    (f"{MSG}/user/user.jsonl", 1, HUMAN, None, "prompt", "Oh, I just found out that this is not supported by Chrome :(…", 0),
    (f"{MSG}/user/user_command.jsonl", 1, HUMAN, None, "command", "/model", 0),
    (f"{MSG}/user/bash_input.jsonl", 1, HUMAN, None, "bash", 'uv run pytest -m "not (tui or browser)" -v', 0),
    (f"{MSG}/user/command_output.jsonl", 1, NOT, "injected text", None, None, 0),
    (f"{MSG}/user/bash_output.jsonl", 1, NOT, "injected text", None, None, 0),
    (f"{MSG}/user/user_slash_command.jsonl", 1, NOT, "meta", None, None, 0),
    (f"{MSG}/user/image.jsonl", 1, HUMAN, None, "prompt", "Do you think we could set up rewrites for the JS and CSS?…", 1),
    (f"{MSG}/user/user_sidechain.jsonl", 1, NOT, "sidechain", None, None, 0),
    # §6.8 /doctor: caveat (isMeta), command, local-command-stdout
    (DOCTOR, 62, NOT, "meta", None, None, 0),
    (DOCTOR, 63, HUMAN, None, "command", "/doctor", 0),
    (DOCTOR, 64, NOT, "injected text", None, None, 0),
    # §6.10 rejected tool call then "[Request interrupted by user for tool use]". FORMAT cites
    # JSSoundRecorder/7acd37a8…:55-56, which is not in the corpus; 0d3a8e6f…:44-45 is the same pair.
    (DOCTOR, 44, NOT, "tool result", None, None, 0),
    (DOCTOR, 45, NOT, "injected text", None, None, 0),
    # §6.11 pasted screenshot
    (DOCTOR, 46, HUMAN, None, "prompt", "I think the library is setting it, it's an inline style…", 1),
    # §6.12 IDE context stripped, prompt kept (7acd37a8…:47 is absent; cb2e607c…:79 is the other citation)
    (CODERABBIT, 79, HUMAN, None, "prompt", "Please add these in @README.md but also how to install with `uv sync`", 0),
    (CODERABBIT, 3, HUMAN, None, "prompt",
     "How can I make this possible to install as a library with `uv` so I can run from any directory?", 0),
    # 2.1.x caveat wrapper, /exit, its stdout
    (IDEAS, 59, NOT, "meta", None, None, 0),
    (IDEAS, 60, HUMAN, None, "command", "/exit", 0),
    (IDEAS, 61, NOT, "injected text", None, None, 0),
    # §6.8 message-first tag order, bare command name (1.0.17)
    (f"{SNF}/ba79134d-b6e9-4867-af0c-6941038c9e4b.jsonl", 1, HUMAN, None, "command", "/init", 0),
    (f"{CCL}/edge_cases.jsonl", 7, HUMAN, None, "command", "/test-command --verbose --output /tmp/test.log", 0),
    (f"{CCL}/edge_cases.jsonl", 6, NOT, "injected text", None, None, 0),  # caveat without isMeta
    (f"{CCL}/edge_cases.jsonl", 10, NOT, "tool result", None, None, 0),  # `contenst`, toolUseResult
    (f"{CCL}/edge_cases.jsonl", 11, NOT, "not a user message", None, None, 0),  # message is a string
    # memory: FORMAT cites memory_interactions.jsonl for `#` input, but it holds no <user-memory-input>.
    (f"{CCL}/memory_interactions.jsonl", 1, HUMAN, None, "prompt", "Please remember my build command.", 0),
    (f"{CCL}/memory_interactions.jsonl", 3, NOT, "tool result", None, None, 0),
    # §6.7 compaction
    (f"{UPSTREAM}/dag_compact_after_rewind.jsonl", 10, NOT, "compact summary", None, None, 0),
    (f"{UPSTREAM}/dag_compact_after_rewind.jsonl", 11, HUMAN, None, "prompt", "After compaction", 0),
    # §6.13 task notifications, teammate messages
    (f"{CCL}/async_agents/eb000000-0000-4000-8000-000000000001.jsonl", 6, NOT, "injected text", None, None, 0),
    (f"{CCL}/monitor_tool.jsonl", 4, NOT, "injected text", None, None, 0),
    (f"{TEAMMATES}.jsonl", 14, NOT, "injected text", None, None, 0),
    (f"{TEAMMATES}.jsonl", 15, NOT, "injected text", None, None, 0),
    # §6.4 sub-agents and sidechains: the parent model wrote these prompts
    (f"{TEAMMATES}/subagents/agent-bbbb222222222222.jsonl", 1, NOT, "sidechain", None, None, 0),
    (f"{WORKTREES}/subagents/agent-a36efb2a1231c41e2.jsonl", 1, NOT, "sidechain", None, None, 0),
    (f"{RP}/-Users-dain-workspace-claude-code-log-sample/agent-3be551df.jsonl", 1, NOT, "sidechain", None, None, 0),
    (f"{CCL}/sidechain.jsonl", 2, NOT, "sidechain", None, None, 0),  # inline ≤1.0.x sidechain
    (f"{POLY}/normalization-lineage-subagent-acompact.jsonl", 1, NOT, "sidechain", None, None, 0),
    # plain interruption, isMeta environment context
    (f"{POLY}/claude-normalization-main.jsonl", 8, NOT, "injected text", None, None, 0),
    (f"{POLY}/claude-normalization-main.jsonl", 7, NOT, "meta", None, None, 0),
]


@pytest.mark.parametrize(
    "path, line_no, is_human, reason, kind, content, images", CITED,
    ids=[f"{os.path.basename(c[0])}:{c[1]}" for c in CITED],
)
def test_cited_record_is_classified_as_format_md_says(classified, path, line_no, is_human, reason, kind,
                                                     content, images):
    assert (path, line_no) in classified, f"{path}:{line_no} is not a classified user record"
    got_human, got_reason, got_kind, got_content, got_images = classified[(path, line_no)]
    assert (got_human, got_reason, got_images) == (is_human, reason, images)
    if is_human:
        assert got_kind == kind
        if content.endswith("…"):
            assert got_content.startswith(content[:-1])
        else:
            assert got_content == content
        assert not any(f"<{tag}" in got_content for tag in WRAPPERS)


def test_every_user_record_follows_format_md_7_2(db, classified):
    """The oracle above, on every landed user record of the corpus."""
    landed = {(rel(p), n) for p, n in query(db, "select source_file, line_no from raw.lines where record_type = 'user'")}
    assert set(classified) == landed
    mismatches = {}
    seen = 0
    for path in transcript_files():
        for line_no, _, piece in file_lines(path):
            if (path, line_no) not in landed:
                continue
            seen += 1
            expected = format_rule(json.loads(piece))
            human, _reason, kind, content, _images = classified[(path, line_no)]
            got = (human, kind, content) if human else (False, None, None)
            if got != expected:
                mismatches[f"{path}:{line_no}"] = {"expected": expected, "got": got}
    assert seen == len(landed) > 1000
    assert mismatches == {}


def test_human_messages_hold_no_injected_text_or_wrappers(db):
    rows = query(db, "select source_file, content from human_messages")
    assert len(rows) > 100
    bad = [(rel(p), c[:80]) for p, c in rows
           if c.startswith(INJECTED_PREFIXES) or c.startswith(COMPACTION_PREFIX)
           or any(f"<{tag}" in c for tag in WRAPPERS) or not c.strip(WHITESPACE)]
    assert bad == []


def test_no_human_message_comes_from_a_sub_agent_or_a_sidechain(db):
    files = [rel(r[0]) for r in query(db, "select distinct source_file from human_messages")]
    assert not [f for f in files if os.path.basename(f).startswith("agent-") or "/subagents/" in f]
    sources = query(db, """
        select h.message_uuid, l.record_type, l.is_sidechain, l.agent_id
        from human_messages h
        join raw.lines l on l.source_file = h.source_file and l.uuid = h.message_uuid
    """)
    assert {r[0] for r in sources} == {r[0] for r in query(db, "select message_uuid from human_messages")}
    assert [r for r in sources if r[1:] != ("user", False, None)] == []


def test_queue_operations_never_become_human_messages(db):
    ops = query(db, "select source_file, line_no, uuid from raw.lines where record_type = 'queue-operation'")
    assert len(ops) == 12
    assert query(db, """
        select count(*) from int_user_records_classified c
        join raw.lines l using (source_file, line_no) where l.record_type = 'queue-operation'
    """) == [(0,)]
    # polylogue's queue-operation carries a uuid (a task notification): it must stay out.
    assert query(db, "select count(*) from human_messages where message_uuid = 'main-bg-notification'") == [(0,)]
    # §6.14: a queued prompt is an enqueue (cb2e607c…:77) and then a user record (:79): counted once.
    assert query(db, "select count(*) from human_messages where content ="
                     " 'Please add these in @README.md but also how to install with `uv sync`'") == [(1,)]


# -- 4. uuid dedup and the dbt tests --------------------------------------------------------


def test_each_uuid_is_one_human_message(db, summary):
    assert summary.test_failures == []
    total, distinct = query(db, "select count(*), count(distinct message_uuid) from human_messages")[0]
    assert total == distinct == summary.human_messages_total
    replayed = query(db, """
        select uuid from int_user_records_classified
        where is_human and uuid is not null
        group by uuid having count(distinct source_file) > 1
    """)
    assert len(replayed) >= 15
    counts = dict(query(db, "select message_uuid, count(*) from human_messages group by 1"))
    assert {u: counts.get(u, 0) for (u,) in replayed} == {u: 1 for (u,) in replayed}
    # Every distinct human uuid survives, and only once.
    assert query(db, "select count(distinct uuid) from int_user_records_classified where is_human") == [(total,)]


def test_a_conflicting_replay_keeps_the_earliest_copy(db):
    # polylogue: main-u1 is written twice in one file; the later copy "must not survive".
    rows = query(db, "select session_id, content from human_messages where message_uuid = 'main-u1'")
    assert rows == [("claude-normalization-main", "Review the parser.")]
    # A real record replayed in another file: one row, in its own session.
    rows = query(db, "select session_id, kind, content from human_messages"
                     " where message_uuid = '5310c7e8-5a78-49e3-b414-042a69c9c7d5'")
    assert rows == [("cbc0f75b-b36d-4efd-a7da-ac800ea30eb6", "bash", 'uv run pytest -m "not (tui or browser)" -v')]


def test_a_second_import_of_the_unchanged_corpus_is_a_no_op(db, summary):
    again = import_transcripts(claude_roots(), db)
    assert again.ok
    assert (again.files_unchanged, again.files_new, again.lines_landed, again.lines_rejected) == (188, 0, 0, 0)
    assert not again.built
    assert again.human_messages_total == summary.human_messages_total
