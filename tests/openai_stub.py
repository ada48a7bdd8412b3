"""A small OpenAI-compatible embeddings server on 127.0.0.1, for tests and the benchmark.

It answers `POST /v1/embeddings` like OpenAI does (base64 or float vectors, `usage`), with a
deterministic vector per input text (`vector_for`), and can be told to misbehave: answer 429
with Retry-After, 500, respond slowly, or refuse (400) any request holding a poisoned input.
It counts requests and inputs. Run it alone with `python tests/openai_stub.py --latency 0.05`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import threading
import time
from array import array
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Every float a vector holds has this exponent byte (or its negative): values in ±[0.25, 0.5).
_SIGN_EXPONENT = bytes(0x3E if b & 1 else 0xBE for b in range(256))
# A vector is a run of blocks of 24 floats, each block picked from 256 fixed ones by a byte of a
# hash of the text: a pure function of the text, and cheap to make. The server would otherwise
# spend more CPU hashing, encoding and escaping vectors than the client under test spends on
# them, on the same cores (OpenAI's servers do that work elsewhere). 96 bytes is a multiple of 3,
# so the base64 of a vector is the concatenation of its blocks' base64.
_BLOCK_FLOATS = 24


def _block(seed: int) -> bytes:
    raw = bytearray(hashlib.shake_256(b"chatlake stub block %d" % seed).digest(4 * _BLOCK_FLOATS))
    raw[3::4] = raw[3::4].translate(_SIGN_EXPONENT)
    return bytes(raw)


_RAW_BLOCKS = [_block(i) for i in range(256)]
_B64_BLOCKS = [base64.b64encode(b).decode() for b in _RAW_BLOCKS]


def _picks(text: str, dimensions: int) -> bytes:
    blocks = -(-dimensions // _BLOCK_FLOATS)
    return hashlib.shake_256(text.encode("utf-8")).digest(blocks)


def vector_bytes(text: str, dimensions: int) -> bytes:
    """Little-endian float32s, a pure function of the text: random mantissa, bounded exponent."""
    return b"".join(_RAW_BLOCKS[b] for b in _picks(text, dimensions))[:4 * dimensions]


def vector_base64(text: str, dimensions: int) -> str:
    """base64 of vector_bytes(text, dimensions)."""
    if dimensions % _BLOCK_FLOATS:
        return base64.b64encode(vector_bytes(text, dimensions)).decode()
    return "".join(_B64_BLOCKS[b] for b in _picks(text, dimensions))


def vector_for(text: str, dimensions: int) -> list[float]:
    """The vector the stub returns for `text` (what tests compare stored vectors with)."""
    vec = array("f")
    vec.frombytes(vector_bytes(text, dimensions))
    return vec.tolist()


class StubState:
    """What the server does next, and what it has seen; safe to change from a test while it runs."""

    def __init__(self, dimensions: int = 1536, latency: float = 0.0, api_key: str | None = None) -> None:
        self.lock = threading.Lock()
        self.dimensions = dimensions
        self.latency = latency
        self.api_key = api_key
        self.scripted: list[tuple[int, dict, float]] = []  # (status or 0 for ok, headers, delay) per next request
        self.poison: str | None = None
        self.tokenizer = None  # set to a tiktoken encoding to refuse requests over OpenAI's limits
        self.requests = 0
        self.inputs = 0
        self.batch_sizes: list[int] = []
        self.batch_tokens: list[int] = []
        self.arrivals: list[float] = []  # time.monotonic() of each request
        self.seen: Counter[str] = Counter()
        self.refused = 0

    def script(self, *steps: tuple[int, dict, float]) -> None:
        """Queue answers for the next requests: (status, headers, delay); status 0 answers normally."""
        with self.lock:
            self.scripted.extend(steps)

    def reset_counts(self) -> None:
        with self.lock:
            self.requests = self.inputs = self.refused = 0
            self.batch_sizes.clear()
            self.batch_tokens.clear()
            self.arrivals.clear()
            self.seen.clear()


def _error(status: int, message: str, kind: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": kind, "param": None, "code": None}}).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "StubServer"

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, str(value))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        state = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.rstrip("/") not in ("/v1/embeddings", "/embeddings"):
            return self._send(404, _error(404, f"no route {self.path}", "not_found"))
        if state.api_key and self.headers.get("Authorization") != f"Bearer {state.api_key}":
            return self._send(401, _error(401, "Incorrect API key provided", "invalid_request_error"))
        request = json.loads(body)
        inputs = request["input"]
        if isinstance(inputs, str):
            inputs = [inputs]
        with state.lock:
            state.requests += 1
            state.arrivals.append(time.monotonic())
            step = state.scripted.pop(0) if state.scripted else (0, {}, 0.0)
            latency = state.latency
        status, headers, delay = step
        if latency or delay:
            time.sleep(latency + delay)
        if status:
            return self._send(status, _error(status, f"scripted {status}", "server_error"), headers)
        if not inputs or len(inputs) > 2048 or any(not isinstance(t, str) or t == "" for t in inputs):
            return self._send(400, _error(400, "'$.input' is invalid.", "invalid_request_error"))
        if state.poison and any(state.poison in text for text in inputs):
            with state.lock:
                state.refused += 1
            return self._send(400, _error(400, "This input could not be processed.", "invalid_request_error"))
        tokens = [len(state.tokenizer.encode_ordinary(t)) for t in inputs] if state.tokenizer else \
            [max(1, len(t) // 4) for t in inputs]
        if state.tokenizer and (max(tokens) > 8192 or sum(tokens) > 300_000):
            return self._send(400, _error(400, "maximum context length exceeded", "invalid_request_error"))
        dims = int(request.get("dimensions") or state.dimensions)
        as_base64 = request.get("encoding_format") == "base64"
        with state.lock:
            state.inputs += len(inputs)
            state.batch_sizes.append(len(inputs))
            state.batch_tokens.append(sum(tokens))
            state.seen.update(inputs)
        usage = {"prompt_tokens": sum(tokens), "total_tokens": sum(tokens)}
        if as_base64:
            # base64 needs no JSON escaping: write the body as text instead of through json.dumps
            items = ",".join(f'{{"object":"embedding","index":{index},"embedding":"{vector_base64(text, dims)}"}}'
                             for index, text in enumerate(inputs))
            body = (f'{{"object":"list","data":[{items}],"model":{json.dumps(request.get("model"))},'
                    f'"usage":{json.dumps(usage)}}}')
            return self._send(200, body.encode())
        data = []
        for index, text in enumerate(inputs):
            vec = array("f")
            vec.frombytes(vector_bytes(text, dims))
            data.append({"object": "embedding", "index": index, "embedding": vec.tolist()})
        payload = {"object": "list", "data": data, "model": request.get("model"), "usage": usage}
        self._send(200, json.dumps(payload).encode())


class StubServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: StubState, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.state = state
        self.thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def start(self) -> "StubServer":
        self.thread = threading.Thread(target=self.serve_forever, name="openai-stub", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    parser.add_argument("--dimensions", type=int, default=1536)
    args = parser.parse_args()
    server = StubServer(StubState(args.dimensions, args.latency), args.port)
    print(server.base_url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
