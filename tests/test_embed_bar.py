"""`chatlake embed`'s progress display: its phases, and an ETA from the recent rate."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from chatlake.embed.api import EmbedSummary
from chatlake.cli.embed import _Bar, moving_eta


def test_the_eta_follows_the_recent_rate_not_the_run_average():
    # 1,000 hashes in the first 10 s, then 500 in the next 10 s: 50 a second now
    samples = [(10.0, 1000), (20.0, 1500)]
    assert moving_eta(samples, 500) == pytest.approx(10.0)
    assert moving_eta(samples[:1], 500) is None  # no rate yet
    assert moving_eta(samples, 0) == 0.0


def shown(bar: _Bar) -> str:
    console = Console(record=True, width=80, file=io.StringIO())
    console.print(bar.progress.get_renderable())
    return console.export_text()


def test_the_bar_says_starting_then_counts_with_a_moving_eta_within_80_columns():
    now = [0.0]
    summary = EmbedSummary(target="local", model="text-embedding-3-small", dimensions=1536, to_do=9000)
    with _Bar(True, console=Console(width=80, force_terminal=True, file=io.StringIO()), clock=lambda: now[0]) as bar:
        views = [shown(bar)]
        for t, done in ((5.0, 0), (10.0, 3000), (40.0, 4500), (50.0, 5000)):
            now[0] = t
            summary.embedded = done
            bar(summary)
        views.append(shown(bar))

    assert views[0].startswith("starting ")
    # the last 15 s: 500 hashes in 10 s; 4,000 left at 50 a second
    assert views[1].startswith("embedding ") and "5,000/9,000" in views[1] and "50/s" in views[1]
    assert "eta 1:20" in views[1]
    assert all(len(line) <= 80 for view in views for line in view.splitlines())
