"""One batch of texts in, one vector per text out: the openai client with retries and split-on-400."""

from __future__ import annotations

import binascii
import email.utils
import random
import sys
import threading
import time
from array import array
from dataclasses import dataclass, field
from typing import Callable

import openai

try:  # the HTTP library under the openai client: httpx2 from openai 3, httpx before
    from httpx2 import Response as HttpResponse
except ImportError:  # pragma: no cover - older openai
    from httpx import Response as HttpResponse

from chatlake.embed.batching import Prepared
from chatlake.embed.config import EmbedConfig
from chatlake.embed.errors import ApiError

RETRY_STATUSES = {408, 409, 429}
# Answers with at least this many vectors are decoded all at once (polars), smaller ones one by one.
BULK_DECODE = 64
SPLIT_STATUSES = {400, 413, 422}
# A request-wide 400 (a bad model or parameter) would otherwise split down to every
# single input: after this many single inputs refused and none accepted, stop.
MAX_LONE_REFUSALS = 3


class Abandoned(Exception):
    """The run is stopping: a request waiting for its next attempt gives up."""


@dataclass
class BatchResult:
    """Vectors for the inputs the API accepted, and the inputs it refused."""

    vectors: list[tuple[Prepared, array]] = field(default_factory=list)
    failed: list[tuple[Prepared, str]] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    usage_tokens: int = 0


def one_line(exc: BaseException, limit: int = 200) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def retry_after(headers) -> float | None:
    """Seconds from `retry-after-ms` or `Retry-After` (seconds or an HTTP date), else None."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        if parsed is None:
            return None
        return max(0.0, email.utils.mktime_tz(parsed) - time.time())


def backoff(attempt: int, base: float, cap: float, hint: float | None, hint_cap: float,
            rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with jitter; a server's Retry-After wins when it asks for longer."""
    ceiling = min(cap, base * (2 ** attempt))
    delay = ceiling / 2 + rng() * ceiling / 2
    if hint is not None:
        delay = max(delay, min(hint, hint_cap) * (1 + 0.1 * rng()))
    return delay


def _not_float32s() -> ApiError:
    return ApiError("the API returned a vector that is not base64 float32s")


def _wrong_dimensions(got: int, dimensions: int) -> ApiError:
    return ApiError(f"the API returned vectors of {got} dimensions, expected {dimensions};"
                    " pass --dimensions to match the model")


def decode_vector(raw, dimensions: int) -> array:
    """A base64 float32 string (or a list of floats, from servers that ignore encoding_format)."""
    if isinstance(raw, str):
        vec = array("f")
        try:
            vec.frombytes(binascii.a2b_base64(raw))  # base64.b64decode adds a copy of each string
        except ValueError:  # binascii.Error, or a length that is not whole float32s
            raise _not_float32s() from None
    else:
        vec = array("f", raw)
    if len(vec) != dimensions:
        raise _wrong_dimensions(len(vec), dimensions)
    return vec


def decode_vectors(raws: list[str], dimensions: int) -> list[memoryview]:
    """Many base64 float32 vectors at once: decoded by polars into one buffer, one view per vector.

    CPython's decoder takes about 65 ms of GIL for an answer of 2,048 x 1536 floats, polars 16 ms.
    """
    import polars as pl

    try:
        decoded = pl.Series(raws, dtype=pl.String).str.decode("base64")
    except pl.exceptions.PolarsError:
        raise _not_float32s() from None
    sizes = decoded.bin.size()
    if sizes.min() != sizes.max() or sizes.min() != 4 * dimensions:
        wrong = next(size for size in sizes if size != 4 * dimensions)
        if wrong % 4:
            raise _not_float32s()
        raise _wrong_dimensions(wrong // 4, dimensions)
    column = decoded.to_arrow()
    offsets, data = column.buffers()[1:3]
    start = column.offset  # the first vector's offset into the data buffer (0 unless sliced)
    first = int.from_bytes(memoryview(offsets)[8 * start:8 * start + 8], sys.byteorder)
    floats = array("f")
    floats.frombytes(memoryview(data)[first:first + 4 * dimensions * len(raws)])
    view = memoryview(floats)
    return [view[i:i + dimensions] for i in range(0, len(floats), dimensions)]


class EmbeddingClient:
    """Thread-safe: several batches may be in flight at once."""

    def __init__(self, config: EmbedConfig, stop: threading.Event | None = None) -> None:
        self.config = config
        self.stop = stop or threading.Event()
        self.api = openai.OpenAI(api_key=config.api_key, base_url=config.base_url,
                                 max_retries=0, timeout=config.timeout)

    def close(self) -> None:
        self.api.close()

    def embed(self, batch: list[Prepared]) -> BatchResult:
        """Embed a batch; a 400 splits it until the refused input stands alone, and only it is skipped."""
        result = BatchResult()
        self._embed(batch, result)
        return result

    def embed_text(self, text: str) -> array:
        """One text's vector (a search query); ApiError when the API refuses it."""
        result = self.embed([Prepared("", text, 0)])
        if not result.vectors:
            raise ApiError(f"the embedding API refused the text: {result.failed[0][1] if result.failed else '?'}")
        return result.vectors[0][1]

    def _embed(self, batch: list[Prepared], result: BatchResult) -> None:
        try:
            vectors = self._request(batch, result)
        except openai.APIStatusError as exc:
            if exc.status_code not in SPLIT_STATUSES:
                raise ApiError(f"the embedding API answered {exc.status_code}: {one_line(exc)}") from exc
            if len(batch) == 1:
                result.failed.append((batch[0], f"{exc.status_code}: {one_line(exc)}"))
                if len(result.failed) >= MAX_LONE_REFUSALS and not result.vectors:
                    raise ApiError(f"the embedding API refuses every input ({exc.status_code}: {one_line(exc)})") from exc
                return
            middle = len(batch) // 2
            self._embed(batch[:middle], result)
            self._embed(batch[middle:], result)
            return
        result.vectors.extend(zip(batch, vectors))

    def _request(self, batch: list[Prepared], result: BatchResult) -> list[array]:
        cfg = self.config
        extra = {"dimensions": cfg.dimensions} if cfg.send_dimensions else {}
        attempt = 0
        while True:
            if self.stop.is_set() and attempt:
                raise Abandoned()
            hint = None
            result.requests += 1
            try:
                # The client's own POST (its timeouts and typed errors), answered as raw JSON:
                # `embeddings.create` walks every input and builds a model per vector, holding
                # the GIL for about 0.3 s per 2,048 inputs while the other requests wait for it.
                response = self.api.post(
                    "/embeddings", cast_to=HttpResponse,
                    body={"input": [item.text for item in batch], "model": cfg.model,
                          "encoding_format": "base64", **extra},
                )
            except (openai.APITimeoutError, openai.APIConnectionError) as exc:
                error: BaseException = exc
            except openai.APIStatusError as exc:
                if exc.status_code not in RETRY_STATUSES and exc.status_code < 500:
                    raise
                error, hint = exc, retry_after(exc.response.headers)
            else:
                return self._vectors(response, len(batch), result)
            attempt += 1
            if attempt >= cfg.attempts:
                raise ApiError(f"the embedding API failed {attempt} times in a row; last: {one_line(error)}") from error
            result.retries += 1
            if self.stop.wait(backoff(attempt - 1, cfg.backoff_base, cfg.backoff_cap, hint, cfg.retry_after_cap)):
                raise Abandoned()

    def _vectors(self, response: HttpResponse, expected: int, result: BatchResult) -> list[array]:
        """The vectors of an answer, in input order."""
        try:
            payload = response.json()
            data = sorted(payload["data"], key=lambda d: d["index"])
            embeddings = [d["embedding"] for d in data]
        except (ValueError, KeyError, TypeError) as exc:
            raise ApiError(f"the API returned an answer that is not a list of embeddings: {one_line(exc)}") from None
        if len(data) != expected:
            raise ApiError(f"the API returned {len(data)} vectors for {expected} inputs")
        usage = payload.get("usage") if isinstance(payload, dict) else None
        if isinstance(usage, dict):
            result.usage_tokens += usage.get("prompt_tokens") or 0
        if len(embeddings) >= BULK_DECODE and all(isinstance(raw, str) for raw in embeddings):
            return decode_vectors(embeddings, self.config.dimensions)
        return [decode_vector(raw, self.config.dimensions) for raw in embeddings]
