"""Texts prepared for the API by a forked child: the same result as in this process, whatever
happens to the child."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from chatlake.embed.batching import load_tokenizer
from chatlake.embed.preparing import PreparedStream, prepare
from chatlake.core.redact import Redactions
from chatlake.embed.select import Pending
from embed_support.warehouse import LONG, SECRET_PROMPT, sha

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the child is forked")

TOKENIZER = load_tokenizer()


def texts(count: int) -> list[Pending]:
    plain = [f"prompt {i}: why does step {i % 97} of the nightly job fail?" for i in range(count)]
    plain[3], plain[count // 2] = SECRET_PROMPT, LONG  # one redacted, one cut
    return [Pending(sha(t), t) for t in plain]


def in_this_process(items: list[Pending]) -> tuple[list, Redactions]:
    redactions = Redactions()
    return list(prepare(items, TOKENIZER, redactions, 8191)), redactions


def test_the_child_prepares_exactly_what_this_process_would():
    items = texts(3000)
    expected, expected_redactions = in_this_process(items)
    redactions = Redactions()
    with PreparedStream(items, TOKENIZER, redactions, 8191, fork=True) as stream:
        got = list(stream)
        assert stream.forked and stream.from_child == len(items)
    assert got == expected
    assert got[3].redacted and "[REDACTED:openai_key]" in got[3].text
    assert got[1500].truncated and got[1500].tokens <= 8191
    # message rows are redacted from the same cache: the child's results are in it, whole (not cut)
    for item in (items[3], items[1500], items[7]):
        assert redactions.get(item.content_hash, "unused") == expected_redactions.get(item.content_hash, item.content)


def test_without_redaction_the_child_sends_the_texts_as_they_are():
    items = texts(2000)
    with PreparedStream(items, TOKENIZER, None, 8191, fork=True) as stream:
        got = list(stream)
    assert got == list(prepare(items, TOKENIZER, None, 8191))
    assert SECRET_PROMPT == got[3].text


class SlowInTheChild:
    """The real tokenizer, taking a millisecond per text in a forked child: the child is surely
    still at work when the test kills it."""

    def __init__(self) -> None:
        self.parent = os.getpid()
        self.name, self.exact = TOKENIZER.name, TOKENIZER.exact

    def count(self, text: str) -> int:
        if os.getpid() != self.parent:
            time.sleep(0.001)
        return TOKENIZER.count(text)

    def truncate(self, text: str, max_tokens: int) -> str:
        return TOKENIZER.truncate(text, max_tokens)


def test_a_child_killed_midway_leaves_the_rest_to_this_process():
    items = texts(20_000)
    expected, _ = in_this_process(items)
    stream = PreparedStream(items, SlowInTheChild(), Redactions(), 8191, fork=True)
    got = iter(stream)
    first = next(got)
    os.kill(stream.pid, signal.SIGKILL)
    rest = list(got)
    assert 0 < stream.from_child < len(items), "the child was not killed midway"
    assert [first, *rest] == expected
    stream.close()


def test_closing_early_ends_the_child():
    stream = PreparedStream(texts(60_000), TOKENIZER, Redactions(), 8191, fork=True)
    next(iter(stream))
    pid = stream.pid
    stream.close()
    assert not psutil.pid_exists(pid)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_child_dies_with_its_parent(tmp_path):
    script = textwrap.dedent("""
        import sys, time
        from chatlake.embed.batching import load_tokenizer
        from chatlake.embed.preparing import PreparedStream
        from chatlake.embed.select import Pending
        items = [Pending(str(i), "a long enough prompt number %d " % i * 20) for i in range(400_000)]
        stream = PreparedStream(items, load_tokenizer(), None, 8191, fork=True)
        print(stream.pid, flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    child = int(proc.stdout.readline())
    assert psutil.Process(child).status() != psutil.STATUS_ZOMBIE
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            if psutil.Process(child).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the child outlived its parent")
