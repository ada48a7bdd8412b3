"""Gemini CLI usage is priced: the seed holds the Gemini API's models (scripts/update_model_prices.py)."""

from __future__ import annotations

import pytest

from chatlake.example.agents import GeminiGenerator
from chatlake.pipeline import import_transcripts
from helpers import query


def test_usage_daily_prices_the_gemini_rows_at_the_seeds_rates(tmp_path, db):
    GeminiGenerator(tmp_path / "gemini" / "tmp", seed=21).write_tree(sessions=3, prompts=3)
    result = import_transcripts([tmp_path / "gemini" / "tmp"], db)
    assert result.ok, result.failures + result.test_failures

    days = query(db, "select model, unpriced_response_count, cost_usd from usage_daily where source = 'gemini_cli'")
    assert {m for m, _, _ in days} == {"gemini-2.5-pro", "gemini-3-flash-preview"}
    assert all(unpriced == 0 and cost > 0 for _, unpriced, cost in days)
    # one response by hand: uncached input, output (thoughts included) and cache reads at the seed's prices
    responses = query(db, "select r.input_tokens, r.output_tokens, r.cache_read_tokens, r.cost_usd, p.input_per_mtok,"
                          " p.output_per_mtok, p.cache_read_per_mtok from assistant_responses as r"
                          " join seeds.model_prices as p on p.model = r.model where r.source = 'gemini_cli'")
    assert responses
    for fresh, output, cached, cost, input_price, output_price, read_price in responses:
        assert cost == pytest.approx((fresh * input_price + output * output_price + cached * read_price) / 1e6)
    assert query(db, "select input_per_mtok, output_per_mtok, cache_read_per_mtok, input_above_200k_per_mtok,"
                     " output_above_200k_per_mtok from seeds.model_prices where model = 'gemini-2.5-pro'") == [
        (1.25, 10.0, 0.125, 2.5, 15.0)]
