"""Replace lone UTF-16 surrogate escapes in JSON text with U+FFFD, for text and for byte streams.

JavaScript's `JSON.stringify` writes a string cut inside a surrogate pair as `"\\ud83d"`: valid for
JSON's grammar, but no Unicode text holds it, so DuckDB refuses the line and a streaming parser
may fail on the document. A surrogate pair (`\\ud83d\\ude00`) is left as it is.
"""

from __future__ import annotations

import re
from typing import BinaryIO

# An escape `\uD800`-`\uDFFF`, preceded by an even run of backslashes (so it is an escape, not a
# literal `\\` followed by `u`): group 2 is a high surrogate, group 3 the low one that pairs with it.
_PATTERN = r"(?<!\\)((?:\\\\)*)\\u(?:([dD][89abAB][0-9a-fA-F]{2})(\\u[dD][c-fC-F][0-9a-fA-F]{2})?|[dD][c-fC-F][0-9a-fA-F]{2})"
_TEXT = re.compile(_PATTERN)
_BYTES = re.compile(_PATTERN.encode())
_MARKS = (b"\\ud", b"\\uD")
# The longest text a match needs to be decided: a pair `\uXXXX\uXXXX`.
_DECIDE = 12


def _keep_pairs(match: re.Match):
    if match.group(2) and match.group(3):
        return match.group(0)
    return match.group(1) + (b"\\ufffd" if isinstance(match.group(0), bytes) else "\\ufffd")


def fix_lone_surrogates(text: str) -> str:
    """`text` with each lone surrogate escape replaced by `\\ufffd` (the same object when it has none)."""
    if "\\ud" not in text and "\\uD" not in text:
        return text
    return _TEXT.sub(_keep_pairs, text)


class SurrogateSafeReader:
    """A binary stream of JSON whose lone surrogate escapes read as `\\ufffd`.

    The tail of each read is held back until the next one, so an escape (or a pair) cut by a read
    boundary is still seen whole; the cut never falls inside a run of backslashes.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.carry = b""

    def read(self, n: int = -1) -> bytes:
        if n == 0:
            return b""  # ijson probes with read(0) to tell bytes from text
        while True:
            chunk = self.stream.read(n)
            if not chunk:
                data, self.carry = self.carry, b""
                return _BYTES.sub(_keep_pairs, data) if any(m in data for m in _MARKS) else data
            data = self.carry + chunk if self.carry else chunk
            cut = max(len(data) - _DECIDE, 0)
            while cut > 0 and data[cut - 1] == 0x5C:  # backslash
                cut -= 1
            if any(m in data for m in _MARKS):
                parts, pos = [], 0
                for match in _BYTES.finditer(data):
                    if match.start() >= cut:
                        break  # not decided yet: the next read completes it
                    parts += (data[pos:match.start()], _keep_pairs(match))
                    pos = match.end()
                cut = max(cut, pos)
                parts.append(data[pos:cut])
                out = b"".join(parts)
            else:
                out = data[:cut]
            self.carry = data[cut:]
            if out:
                return out
