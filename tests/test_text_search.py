"""`chatlake search --text`: BM25 over the warehouse's word index, on a real import of generated transcripts."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from typer.testing import CliRunner

from chatlake.pipeline import import_transcripts
from chatlake.cli import app
from chatlake.example.transcripts import TranscriptGenerator, append_session_turns
from chatlake.search import WordQuery, parse_word_query, phrase_pattern
from helpers import query

LINT = "fix lint in the api module"
PASTE = ("here is the build log, what is wrong?\n" + "warning: suffix .tmp ignored by the prefix rule; "
         "ansible-lint reported 0 problems\n" * 240)  # about 12 KB, one `lint` among a lot of words
SUFFIX = "rename the suffix of every fixture file"
FAILED = "the nightly test failed again on the runner"
DEPLOY = "why does the deploy fail on staging but not on production"
DEPLOY_PROD = "the deploy fails on production since monday"
SHORT_DEPLOY = "deploy"
ZZ = "zzqqxx"

SESSION = "b0000000-0000-4000-8000-000000000001"


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    root = tmp_path_factory.mktemp("fts")
    tree = TranscriptGenerator(root / "projects", seed=5).write_tree(sessions=3, prompts=4)
    path = tree.root / "-home-dev-work-api" / f"{SESSION}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    append_session_turns(path, SESSION, [LINT, PASTE, SUFFIX, FAILED, DEPLOY, DEPLOY_PROD, SHORT_DEPLOY],
                         start=datetime(2026, 5, 1, 10, tzinfo=timezone.utc))
    db = root / "chatlake.duckdb"
    assert import_transcripts([tree.root], db).ok
    return {"db": db, "tree": tree.root, "path": path}


def found(wh, text: str, *args: str) -> list[str]:
    result = CliRunner().invoke(app, ["search", text, "--text", "--json", "--db", str(wh["db"]), "-k", "50", *args])
    assert result.exit_code == 0, result.output
    return [h["content"] for h in json.loads(result.stdout)["hits"]]


def test_stop_words_match_nothing(wh):
    result = CliRunner().invoke(app, ["search", f"the {ZZ} with", "--text", "--db", str(wh["db"])])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "no matches"


def test_words_not_substrings_and_short_messages_rank_above_long_pastes(wh):
    hits = found(wh, "fix lint")
    assert hits[0] == LINT
    assert SUFFIX not in hits  # `fix` inside `suffix`, `fixture` is no match
    assert PASTE.strip() in hits  # `lint` is a word of `ansible-lint`, ranked below the short message


def test_stemming_finds_other_forms(wh):
    assert FAILED in found(wh, "failing tests")
    assert found(wh, "runners")[0] == FAILED


def test_phrases_and_excluded_terms(wh):
    deploys = found(wh, "deploy")
    assert {DEPLOY, DEPLOY_PROD, SHORT_DEPLOY} <= set(deploys)
    assert deploys[0] == SHORT_DEPLOY  # the same word in a shorter message weighs more
    assert found(wh, '"deploy fails"') == [DEPLOY_PROD]
    assert found(wh, '"fails deploy"') == []
    assert set(found(wh, "deploy -staging")) == {DEPLOY_PROD, SHORT_DEPLOY}
    assert set(found(wh, 'deploy -"not on production"')) == {DEPLOY_PROD, SHORT_DEPLOY}


def test_appended_messages_are_indexed_and_nothing_twice(wh):
    append_session_turns(wh["path"], SESSION, [f"note the {ZZ} flag"],
                         start=datetime(2026, 5, 2, 10, tzinfo=timezone.utc))
    assert import_transcripts([wh["tree"]], wh["db"]).ok
    assert found(wh, ZZ) == [f"note the {ZZ} flag"]
    assert found(wh, "fix lint")[0] == LINT
    assert query(wh["db"], "select count(*) - count(distinct (message_uuid, term)) from message_terms")[0][0] == 0
    missing = query(wh["db"], "select count(*) from human_messages m where not exists"
                              " (select 1 from message_terms t where t.message_uuid = m.message_uuid)")
    assert missing[0][0] == 0


def test_parse_word_query():
    assert parse_word_query('Fix "exact phrase" -not -"bad one" lint-free - x') == WordQuery(
        words=("Fix", "lint-free", "-", "x"), phrases=("exact phrase",), excluded=("not",),
        excluded_phrases=("bad one",))
    assert parse_word_query('"unclosed phrase') == WordQuery(phrases=("unclosed phrase",))
    assert parse_word_query("a a  A") == WordQuery(words=("a", "A"))


def test_phrase_pattern_wants_whole_words_in_order():
    import re

    pattern = phrase_pattern(["deploy", "fails"]).replace("\\p{L}\\p{N}", "\\w")
    assert re.search(pattern, "The Deploy -- fails!")
    assert not re.search(pattern, "redeploy fails")
    assert not re.search(pattern, "deploy failsafe")


def test_the_warehouse_macros_split_drop_and_stem_as_the_index_does(wh):
    terms = query(wh["db"], "select main.fts_terms(?)", ["Running the TESTS, fixes: ansible-lint with größe"])[0][0]
    assert terms == ["run", "test", "fix", "ansible", "lint", "größe"]
    indexed = query(wh["db"], "select list(term order by term) from message_terms t join human_messages m"
                              " using (message_uuid) where m.content = ?", [FAILED])[0][0]
    assert indexed == ["fail", "nightly", "runner", "test"]


def test_each_hit_names_the_command_that_opens_its_conversation(wh):
    db = str(wh["db"])
    shown = CliRunner().invoke(app, ["search", "lint", "--text", "--db", db, "-k", "1"])
    assert shown.exit_code == 0, shown.output
    opener = f"chatlake show {SESSION} --db {db}"
    assert opener in shown.stdout
    as_json = json.loads(CliRunner().invoke(app, ["search", "lint", "--text", "--json", "--db", db]).stdout)
    assert as_json["hits"][0]["show_command"] == opener
    # and it does open it: the prompt the hit was found in is on the page
    page = CliRunner().invoke(app, opener.split()[1:] + ["--format", "markdown"])
    assert page.exit_code == 0, page.output
    assert LINT in page.stdout
