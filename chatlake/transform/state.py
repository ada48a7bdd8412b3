"""The transform stage's state in the warehouse (schema `build`, made by macros/build_state.sql):
which load each incremental mart has absorbed, and which project the warehouse was last built with."""

from __future__ import annotations

from datetime import datetime, timezone

from chatlake.core.db import table_exists


def marts_behind(con, marts: tuple[str, ...]) -> bool:
    """True when a mart is missing or has not absorbed the latest load (e.g. a build was killed)."""
    if not all(table_exists(con, "main", m) for m in marts):
        return True
    if not table_exists(con, "build", "model_watermarks"):
        return True
    # a load that only rejected input gave the marts nothing to absorb
    latest = con.execute(
        "select coalesce(max(load_id), 0) from raw.loads where files_rewritten > 0 or lines_landed > 0"
        " or load_id in (select load_id from raw.touched_sessions)").fetchone()[0]
    rows = dict(con.execute("select model, load_id from build.model_watermarks").fetchall())
    return any(rows.get(m, -1) < latest for m in marts)


# Each agent CLI whose models a build leaves out while the warehouse holds none of its lines
# (selectors.yml's codex_models, gemini_cli_models), with the raw table of those lines.
AGENT_FAMILIES = {"codex": "codex_lines", "gemini_cli": "gemini_records"}


def agents_absent(con) -> frozenset[str]:
    """The agent CLIs the warehouse has no line of: their models are not built (each costs dbt a
    node, tests included, even with nothing to do: about 40 nodes for the two)."""
    absent = set()
    for family, table in AGENT_FAMILIES.items():
        if not table_exists(con, "raw", table) or not con.execute(
                f"select exists (select 1 from raw.{table})").fetchall()[0][0]:
            absent.add(family)
    return frozenset(absent)


# the Codex and Gemini CLI models that keep a watermark (the increment's agent part, selectors.yml)
_AGENT_MODELS = "model like 'int\\_codex\\_%' escape '\\' or model like 'int\\_gemini\\_cli\\_%' escape '\\'"


def agent_models_behind(con) -> bool:
    """True when an agent CLI file changed, or a load touched an agent session, after the oldest
    watermark of the agent models (or they have none yet): only then does an increment build them."""
    if not table_exists(con, "raw", "agent_files"):
        return False
    # a file's own last change, or a load that touched its session (a rollout moved to the archive)
    changed = con.execute(
        "select greatest((select max(last_load_id) from raw.agent_files),"
        " (select max(load_id) from raw.touched_sessions"
        "  where session_id in (select session_id from raw.agent_files)))").fetchall()[0][0]
    return _behind(con, changed, _AGENT_MODELS)


def _behind(con, changed: int | None, models: str, expected: int | None = None) -> bool:
    """True when load `changed` (None: no file of those models' tool) is newer than the oldest
    watermark of the models `models` (a condition on `model`), or they have none yet, or fewer
    than `expected` of them have one."""
    if changed is None:
        return False
    if not table_exists(con, "build", "model_watermarks"):
        return True
    held, oldest = con.execute(
        f"select count(*), min(load_id) from build.model_watermarks where {models}").fetchall()[0]
    return oldest is None or held < (expected or 0) or changed > oldest


# Claude Code's incremental intermediate models (selectors.yml's claude_code_models): each reads
# the lines of loads after its own newest row, and records a watermark after it runs
CLAUDE_CODE_MODELS = ("int_user_records_classified", "int_assistant_records_parsed", "int_tool_results_parsed",
                      "int_session_summaries")


def claude_code_models_behind(con) -> bool:
    """True when a Claude Code transcript changed after the oldest watermark of Claude Code's
    models (or one has none yet): only then does an increment build them. An import that only
    grew Codex or Gemini CLI sessions leaves them out (four nodes, 0.75 s of a 1 GiB append)."""
    if not table_exists(con, "raw", "files"):
        return False
    changed = con.execute("select max(last_load_id) from raw.files").fetchall()[0][0]
    marks = ", ".join(f"'{m}'" for m in CLAUDE_CODE_MODELS)
    return _behind(con, changed, f"model in ({marks})", expected=len(CLAUDE_CODE_MODELS))


def untouched_tools(con) -> frozenset[str]:
    """The tools (`claude_code`, `codex` and `gemini_cli`, the agent CLIs together) whose models an
    increment leaves out: no file of theirs changed since those models last ran."""
    untouched = set() if agent_models_behind(con) else {"codex", "gemini_cli"}
    if not claude_code_models_behind(con):
        untouched.add("claude_code")
    return frozenset(untouched)


def built_fingerprint(con) -> str | None:
    """The fingerprint of the project the whole warehouse was last built with (None: never, or before this release)."""
    if not table_exists(con, "build", "project_builds"):
        return None
    row = con.execute("select fingerprint from build.project_builds order by built_at desc limit 1").fetchone()
    return row[0] if row else None


def record_project_build(con, fingerprint: str) -> None:
    """After a whole build that passed: the next import may build the increment alone."""
    con.execute("delete from build.project_builds")
    con.execute("insert into build.project_builds values (?, ?)", [fingerprint, datetime.now(timezone.utc)])
