"""Redaction speed on realistic prompts: `python tests/bench/bench_redact.py [--rows N]`.

Redaction runs over every text before it is embedded, so its rate (chars/s) bounds the
preparing step. The prompts mix the shapes transcripts hold: plain requests, code, logs,
config talk that names tokens and passwords without holding one, and a few real-looking secrets.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embed_support.warehouse import distinct_prompts  # noqa: E402

SNIPPETS = (
    "def load(path):\n    with open(path) as f:\n        return json.load(f)\n",
    "Traceback (most recent call last):\n  File \"app.py\", line 12, in <module>\n    main()\nKeyError: 'user_id'\n",
    "the token limit is 8191 so long inputs are truncated; count tokens with tiktoken first",
    "add a password field to the signup form and validate it has at least 12 characters",
    "the primary key of sessions is session_id; add a unique test in the yml",
    "curl https://api.example.com/v1/items?page=2 -H 'Accept: application/json'",
    "SELECT * FROM users WHERE email = $1 AND deleted_at IS NULL ORDER BY created_at DESC",
    "config:\n  database:\n    host: localhost\n    port: 5432\n    user: app\n",
    "we store the api key in the keychain, never in the repo; rotate the secret every 90 days",
    "const token = await getToken(); headers.set('Authorization', `Bearer ${token}`);",
    "docker run -p 8080:80 -e LOG_LEVEL=debug nginx:latest",
    "git rebase -i HEAD~3 and squash the fixup commits before pushing to origin/main",
)
SECRETS = (
    "export OPENAI_API_KEY=sk-proj-" + "Zx81mQpLr2VbT9kWn4Hs7JdYc3Fa",
    "DB_PASSWORD=hunter2-prod-Secret",
    "postgresql://app:s3cr3t@db.internal:5432/prod",
)


def prompts(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    base = [row["content"] for row in distinct_prompts(n)]
    out = []
    for i, text in enumerate(base):
        parts = [text] + [rng.choice(SNIPPETS) for _ in range(rng.randrange(0, 4))]
        if i % 200 == 0:
            parts.append(rng.choice(SECRETS))
        out.append("\n".join(parts))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--module", default="chatlake.core.redact", help="module holding redact()")
    args = parser.parse_args()
    from importlib import import_module

    redact = import_module(args.module).redact
    texts = prompts(args.rows)
    chars = sum(map(len, texts))
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        changed = sum(bool(redact(t).kinds) for t in texts)
        best = min(best, time.perf_counter() - started)
    print(f"{args.module}: {len(texts):,} prompts, {chars / 1e6:.1f} M chars, {changed:,} redacted;"
          f" best of 3 {best:.2f}s = {chars / best / 1e6:.1f} M chars/s")


if __name__ == "__main__":
    main()
