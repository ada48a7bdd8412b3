"""The embed step's deciding functions on single inputs: batching, cutting, backoff, configuration."""

from __future__ import annotations

import pytest

from chatlake.embed.batching import Prepared, batches, fit, load_tokenizer
from chatlake.embed.client import BULK_DECODE, backoff, decode_vector, decode_vectors, retry_after
from chatlake.embed.config import resolve_config, resolve_target
from chatlake.vectorstore.spec import safe_dsn
from chatlake.vectorstore.base import BULK_ROWS, bulk_load_pays
from chatlake.vectorstore.pgcopy import embedding_copy_data
from chatlake.embed.errors import ApiError, ConfigError


def items(tokens: list[int]) -> list[Prepared]:
    return [Prepared(f"h{i}", "x", t) for i, t in enumerate(tokens)]


def test_batches_hold_at_most_2048_inputs():
    sizes = [len(b) for b in batches(items([1] * 5000))]
    assert sizes == [2048, 2048, 904]


def test_batches_hold_at_most_300000_tokens():
    groups = list(batches(items([8000] * 80)))
    assert [sum(p.tokens for p in b) for b in groups] == [296_000, 296_000, 48_000]


def test_batches_keep_order_and_lose_nothing():
    given = items([3, 9, 1, 7] * 10)
    assert [p for b in batches(given, max_inputs=7, max_tokens=20) for p in b] == given


def test_a_text_over_the_limit_is_cut_to_fit_and_marked():
    tokenizer = load_tokenizer()
    text = "word " * 9000
    cut = fit("h", text, tokenizer, max_tokens=8191)
    assert cut.truncated and cut.tokens <= 8191 and cut.tokens == tokenizer.count(cut.text)
    assert text.startswith(cut.text)
    short = fit("h", "hello there", tokenizer)
    assert not short.truncated and short.text == "hello there" and short.tokens == 2


@pytest.mark.parametrize("headers, seconds", [
    ({"retry-after": "7"}, 7.0),
    ({"retry-after": "1.5"}, 1.5),
    ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
    ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),  # a date in the past: retry now
    ({}, None),
    ({"retry-after": "soon"}, None),
])
def test_retry_after_reads_seconds_milliseconds_and_dates(headers, seconds):
    assert retry_after(headers) == seconds


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    lows = [backoff(n, 0.5, 30, None, 120, rng=lambda: 0.0) for n in range(8)]
    highs = [backoff(n, 0.5, 30, None, 120, rng=lambda: 1.0) for n in range(8)]
    assert lows == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 15.0]
    assert highs == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_backoff_honours_a_longer_retry_after_up_to_its_cap():
    assert backoff(0, 0.5, 30, 10.0, 120, rng=lambda: 0.0) == 10.0
    assert backoff(0, 0.5, 30, 500.0, 120, rng=lambda: 0.0) == 120.0
    assert backoff(5, 0.5, 30, 0.1, 120, rng=lambda: 0.0) == 8.0


def test_target_flag_then_env_then_a_local_postgres(tmp_path):
    env = {"HOME": str(tmp_path)}
    assert resolve_target(None, env).kind == "local"
    assert resolve_target(None, env).pgdata == tmp_path / ".local" / "share" / "chatlake" / "pg"
    env["SUPABASE_URL"], env["SUPABASE_SERVICE_ROLE_KEY"] = "https://x.supabase.co", "k"
    assert resolve_target(None, env).kind == "rest"
    env["SUPABASE_DB_URL"] = "postgresql://postgres:pw@db.x.supabase.co:5432/postgres"
    assert resolve_target(None, env).kind == "postgres"
    assert resolve_target("local", env).kind == "local"


def test_rest_needs_the_service_role_key(tmp_path):
    with pytest.raises(ConfigError, match="SUPABASE_SERVICE_ROLE_KEY"):
        resolve_target(None, {"HOME": str(tmp_path), "SUPABASE_URL": "https://x.supabase.co"})


def test_a_target_label_never_holds_the_password():
    assert safe_dsn("postgresql://postgres:pw-123@db.x.supabase.co:5432/postgres") == \
        "postgresql://postgres@db.x.supabase.co:5432/postgres"
    spec = resolve_target("postgresql://u:pw-123@h/d", {"HOME": "/nonexistent"})
    assert "pw-123" not in spec.label and "pw-123" not in repr(spec)


@pytest.mark.parametrize("flags, message", [
    ({"model": "my-model"}, "pass --dimensions"),
    ({"dimensions": 20000}, "between 1 and 16000"),
    ({"kinds": ["prompt", "tweet"]}, "unknown kind 'tweet'"),
    ({"concurrency": 0}, "at least 1"),
    ({"max_cost": 1.0, "model": "my-model", "dimensions": 8}, "pass --price"),
])
def test_values_that_cannot_work_are_refused(flags, message, tmp_path):
    with pytest.raises(ConfigError, match=message):
        resolve_config(environ={"HOME": str(tmp_path), "OPENAI_API_KEY": "k"}, **flags)


def test_an_api_key_is_needed_unless_a_server_or_a_dry_run_is_given(tmp_path):
    env = {"HOME": str(tmp_path)}
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        resolve_config(environ=env)
    assert resolve_config(environ=env, dry_run=True).api_key is None
    assert resolve_config(environ={**env, "OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"}).api_key == "unused"


def encoded(values: list[float]) -> str:
    import base64
    from array import array

    return base64.b64encode(array("f", values).tobytes()).decode()


@pytest.mark.parametrize("raw", ["not base64!", "AAAAAAA=", "AAAA", encoded([1.0, 2.0])])
def test_an_answer_that_is_not_base64_float32s_is_a_one_line_api_error(raw):
    with pytest.raises(ApiError, match="not base64 float32s|dimensions"):
        decode_vector(raw, 4)
    # the same answer among many, decoded all at once
    many = [encoded([float(i), 0.5, -1.0, 2.0]) for i in range(BULK_DECODE)] + [raw]
    with pytest.raises(ApiError, match="not base64 float32s|dimensions"):
        decode_vectors(many, 4)


def test_many_vectors_decoded_at_once_equal_those_decoded_one_by_one():
    raws = [encoded([i / 3, -i, 1e-7 * i, 3.5e12]) for i in range(BULK_DECODE * 3)]
    bulk = decode_vectors(raws, 4)
    assert [list(v) for v in bulk] == [list(decode_vector(raw, 4)) for raw in raws]
    rows = [(f"h{i}", v, 3, False) for i, v in enumerate(bulk)]
    assert embedding_copy_data("m", rows) == embedding_copy_data("m", [(h, decode_vector(raws[i], 4), t, c)
                                                                       for i, (h, _, t, c) in enumerate(rows)])


def test_a_batch_of_vectors_is_one_binary_copy_stream():
    from array import array
    import struct

    data = embedding_copy_data("m", [("ab", array("f", [1.0, -2.0]), 7, True)])
    assert data.startswith(b"PGCOPY\n\xff\r\n\x00") and data.endswith(b"\xff\xff")
    row = data[19:-2]
    fields = struct.unpack(">h", row[:2])[0]
    assert fields == 5
    # content_hash, model, then the vector in pgvector's format (dims, 0, big-endian floats)
    assert row[2:13] == struct.pack(">i", 2) + b"ab" + struct.pack(">i", 1) + b"m"
    assert row[13:17] == struct.pack(">i", 12)
    assert row[17:29] == struct.pack(">HHff", 2, 0, 1.0, -2.0)
    assert row[29:] == struct.pack(">iiib", 4, 7, 1, 1)


def test_each_row_of_a_copy_stream_carries_its_own_vector():
    from array import array
    import struct

    rows = [("a", array("f", [1.5, 2.5, 3.5]), 1, False), ("b", array("f", [-1.0, 0.0, 9.0]), 2, True)]
    data = embedding_copy_data("m", rows)
    vector_field = struct.pack(">i", 16)
    first = data.index(vector_field) + 4
    second = data.index(vector_field, first) + 4
    assert struct.unpack(">HHfff", data[first:first + 16]) == (3, 0, 1.5, 2.5, 3.5)
    assert struct.unpack(">HHfff", data[second:second + 16]) == (3, 0, -1.0, 0.0, 9.0)


@pytest.mark.parametrize("rows, held, pays", [
    (BULK_ROWS - 1, 0, False),  # too few to be worth dropping the indexes
    (BULK_ROWS, 0, True),
    (200_001, 200_000, True),
    (200_001, 200_001, False),  # resumed after a kill: everything is there already
    (200_001, 500_000, False),
])
def test_a_bulk_load_is_one_that_brings_many_vectors_and_more_than_the_table_holds(rows, held, pays):
    assert bulk_load_pays(rows, held) is pays
