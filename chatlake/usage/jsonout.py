"""JSON written the way ccusage 20 writes it (Rust's serde_json, pretty), byte for byte.

serde_json sorts object keys (no `preserve_order`), indents by two spaces and prints a float
with ryu: the shortest digits that read back as the same number (as Python's `repr` finds
them), but laid out differently (`1e-7`, `0.00001`, `1e16` where Python writes `1e-07`,
`1e-05`, `1e+16`). A script that diffs ccusage's output against ours sees no difference.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal


def ryu_float(value: float) -> str:
    """`value` as serde_json prints an f64 (finite values only, as JSON allows)."""
    if not math.isfinite(value):
        return "null"  # serde_json writes NaN and infinities as null
    if value == 0.0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0")
    exponent += len(digits) - len(text)  # value = int(text) * 10**exponent
    length = len(text)
    kk = length + exponent  # 10**(kk-1) <= |value| < 10**kk
    if 0 <= exponent and kk <= 16:
        out = text + "0" * exponent + ".0"
    elif 0 < kk <= 16:
        out = text[:kk] + "." + text[kk:]
    elif -5 < kk <= 0:
        out = "0." + "0" * -kk + text
    elif length == 1:
        out = f"{text}e{kk - 1}"
    else:
        out = f"{text[0]}.{text[1:]}e{kk - 1}"
    return ("-" if sign else "") + out


def dumps(value: object, indent: str = "  ", level: int = 0) -> str:
    """Pretty JSON as `serde_json::to_writer_pretty` writes it (no trailing newline)."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return ryu_float(value)
    inner = indent * (level + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {dumps(v, indent, level + 1)}"
                 for k, v in sorted(value.items())]
        return "{\n" + ",\n".join(items) + "\n" + indent * level + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        items = [inner + dumps(v, indent, level + 1) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + indent * level + "]"
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
