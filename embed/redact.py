"""Which secrets does this text hold? Replace them before the text leaves the machine.

Transcripts are full of pasted keys. Each shape below is one named rule; the
placeholder names the rule, so a reader of the embedded text knows what was there.
The content hash is never recomputed from the redacted text: identity stays with
the original content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

PLACEHOLDER = "[REDACTED:{kind}]"


def _whole(kind: str) -> Callable[[str], str]:
    return lambda matched: PLACEHOLDER.format(kind=kind)


def _keep_scheme_word(kind: str) -> Callable[[str], str]:
    """`Bearer abc...` -> `Bearer [REDACTED:...]`: the word says what kind of credential it was."""
    return lambda matched: f"{matched.split()[0]} {PLACEHOLDER.format(kind=kind)}"


def _keep_user(kind: str) -> Callable[[str], str]:
    """`user:secret` (between `://` and `@`) -> `user:[REDACTED:...]`."""
    return lambda matched: f"{matched.split(':', 1)[0]}:{PLACEHOLDER.format(kind=kind)}"


def _keep_key(kind: str) -> Callable[[str], str]:
    """`password=secret` -> `password=[REDACTED:...]`."""
    return lambda matched: f"{matched.split('=', 1)[0].rstrip()}={PLACEHOLDER.format(kind=kind)}"


# (kind, pattern, replacement). Where shapes overlap the more specific comes first:
# at one position the first alternative that matches wins.
RULES: tuple[tuple[str, str, Callable[[str], str]], ...] = (
    ("private_key",
     r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
     r"(?:.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|.*\Z)", None),
    ("anthropic_key", r"\bsk-ant-[A-Za-z0-9_-]{20,}", None),
    ("openai_key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}", None),
    ("aws_access_key", r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b", None),
    ("aws_secret_key",
     r"(?i:aws_secret_access_key|aws_secret_key|secret_access_key)[\"']?\s*[:=]\s*[\"']?"
     r"[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])", None),
    ("github_token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})", None),
    ("gitlab_token", r"\bglpat-[A-Za-z0-9_-]{20,}", None),
    ("google_api_key", r"\bAIza[0-9A-Za-z_-]{35}", None),
    ("slack_token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}", None),
    ("stripe_key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}", None),
    ("huggingface_token", r"\bhf_[A-Za-z0-9]{30,}", None),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", None),
    ("bearer_token", r"(?i:\bbearer)\s+[A-Za-z0-9._~+/=-]{16,}", _keep_scheme_word("bearer_token")),
    # user:password@ in URL-style connection strings (postgresql://, mysql://, redis://, https://).
    ("connection_password", r"(?<=://)[^\s:/@]*:[^\s@/]+(?=@)", _keep_user("connection_password")),
    # password=... in key/value connection strings (libpq, JDBC, ODBC).
    ("connection_password",
     r"(?i:\b(?:password|passwd|pwd))\s*=\s*(?:'[^']*'|\"[^\"]*\"|[^\s;&'\"]+)", _keep_key("connection_password")),
)

KINDS: tuple[str, ...] = tuple(dict.fromkeys(kind for kind, _, _ in RULES))

# Lower-case literals of which every match holds at least one: a text holding none of
# them skips the regular expression, which is most texts.
_HINTS = ("-----begin", "sk-", "akia", "asia", "abia", "acca", "secret", "ghp_", "gho_", "ghu_", "ghs_", "ghr_",
          "github_pat_", "glpat-", "aiza", "xox", "_live_", "_test_", "hf_", "eyj", "bearer", "://", "passw", "pwd")

_COMBINED = re.compile("|".join(f"(?P<r{i}>{pattern})" for i, (_, pattern, _) in enumerate(RULES)), re.DOTALL)
_BY_GROUP = {f"r{i}": (kind, replace or _whole(kind)) for i, (kind, _, replace) in enumerate(RULES)}


@dataclass(frozen=True)
class Redaction:
    """The text to send and the kinds of secret that were taken out of it."""

    text: str
    kinds: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.kinds)


def might_hold_secret(text: str) -> bool:
    """False when no rule can match, so the regular expression need not run."""
    lowered = text.lower()
    return any(hint in lowered for hint in _HINTS)


def redact(text: str) -> Redaction:
    """Replace every secret shape in `text` with a placeholder naming its kind."""
    if not might_hold_secret(text):
        return Redaction(text)
    found: list[str] = []

    def replace(match: re.Match) -> str:
        kind, make = _BY_GROUP[match.lastgroup]
        found.append(kind)
        return make(match.group(0))

    out = _COMBINED.sub(replace, text)
    return Redaction(out, tuple(dict.fromkeys(found)))


class Redactions:
    """Each distinct text redacted once, however many rows ask for it (keyed by its content hash)."""

    def __init__(self) -> None:
        self._done: dict[str, Redaction] = {}

    def get(self, content_hash: str, text: str) -> Redaction:
        found = self._done.get(content_hash)
        if found is None:
            # Two threads may both miss and redact the same text: the results are equal.
            found = self._done[content_hash] = redact(text)
        return found

    def put(self, content_hash: str, redaction: Redaction) -> None:
        """Record a redaction made elsewhere (by the process that prepared the texts)."""
        self._done[content_hash] = redaction
