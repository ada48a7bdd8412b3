"""ccusage 20's 5-hour billing blocks, burn rate and projection.

A block starts at its first response's hour (floored, in UTC) and lasts 5 hours; a response
more than 5 hours after the block's start, or after the previous response, opens the next
block, and a pause of more than 5 hours leaves a gap block between the two. A block is active
while its last response is less than 5 hours old and its end is still ahead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone

from chatlake.usage.summaries import add_usage
from chatlake.usage.warehouse import HOUR_MS, Slice, Usage

BLOCK_HOURS = 5
MINUTE_MS = 60_000


@dataclass
class Block:
    start_ms: int
    end_ms: int
    is_gap: bool = False
    usages: list[Usage] = field(default_factory=list)  # by model, in order of first use

    @property
    def first_ms(self) -> int | None:
        return min((u.first_ms for u in self.usages), default=None)

    @property
    def last_ms(self) -> int | None:
        return max((u.last_ms for u in self.usages), default=None)

    def is_active(self, now_ms: int) -> bool:
        last = self.last_ms
        return last is not None and now_ms - last < self.end_ms - self.start_ms and now_ms < self.end_ms


def make_blocks(slices: list[Slice], length_ms: int = BLOCK_HOURS * HOUR_MS) -> list[Block]:
    """Blocks (gap blocks included) from `warehouse.block_slices`, oldest first."""
    blocks: list[Block] = []
    current: Block | None = None
    segment = None
    for s in slices:
        if current is not None and (s.segment != segment or s.hour_end_ms > current.start_ms + length_ms):
            blocks.append(current)
            if s.segment != segment:  # more than a block's length since the last response
                blocks.append(Block(current.last_ms + length_ms, s.usage.first_ms, is_gap=True))
            current = None
        if current is None:
            start = s.usage.first_ms // HOUR_MS * HOUR_MS
            current = Block(start, start + length_ms)
            segment = s.segment
        add_usage(current.usages, s.usage)
    if current is not None:
        blocks.append(current)
    return blocks


def iso_ms(ms: int) -> str:
    """`2026-03-01T09:00:00.000Z`, as ccusage writes an instant."""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _round(x: float) -> float:
    """Rust's f64::round: halves away from zero (Python's round() goes to even)."""
    return math.copysign(math.floor(abs(x) + 0.5), x)


def _json_float(value: float) -> float | int:
    """ccusage writes a block's cost as an integer when it has no fraction (`0`, not `0.0`)."""
    return int(value) if math.isfinite(value) and value == int(value) else value


def burn_rate(block: Block) -> dict | None:
    """Tokens per minute and cost per hour between the block's first and last response."""
    if block.is_gap or not block.usages:
        return None
    minutes = (block.last_ms - block.first_ms) / MINUTE_MS
    if minutes <= 0:
        return None
    total = sum(u.total_tokens for u in block.usages)
    non_cache = sum(u.input_tokens + u.output_tokens for u in block.usages)
    cost = _cost(block)
    return {"tokensPerMinute": total / minutes, "tokensPerMinuteForIndicator": non_cache / minutes,
            "costPerHour": cost / minutes * 60.0}


def projection(block: Block, now_ms: int) -> dict | None:
    """Where the active block ends up if the burn rate holds until its end."""
    rate = burn_rate(block)
    if rate is None or not block.is_active(now_ms):
        return None
    remaining = _round((block.end_ms - now_ms) / MINUTE_MS)
    tokens = sum(u.total_tokens for u in block.usages) + rate["tokensPerMinute"] * remaining
    cost = _cost(block) + rate["costPerHour"] / 60.0 * remaining
    return {"totalTokens": int(_round(tokens)), "totalCost": _round(cost * 100.0) / 100.0,
            "remainingMinutes": int(remaining)}


def _cost(block: Block) -> float:
    total = 0.0
    for u in block.usages:
        total += u.cost
    return total


def block_json(block: Block, now_ms: int) -> dict:
    """A block as `ccusage blocks --json` writes it."""
    active = block.is_active(now_ms)
    usages = block.usages
    counts = {
        "inputTokens": sum(u.input_tokens for u in usages),
        "outputTokens": sum(u.output_tokens for u in usages),
        "cacheCreationInputTokens": sum(u.cache_creation_tokens for u in usages),
        "cacheReadInputTokens": sum(u.cache_read_tokens for u in usages),
    }
    start = iso_ms(block.start_ms)
    return {
        "id": f"gap-{start}" if block.is_gap else start,
        "startTime": start,
        "endTime": iso_ms(block.end_ms),
        "actualEndTime": None if block.is_gap else iso_ms(block.last_ms),
        "isActive": active,
        "isGap": block.is_gap,
        "entries": sum(u.responses for u in usages),
        "tokenCounts": counts,
        "totalTokens": sum(counts.values()),
        "costUSD": _json_float(_cost(block)),
        "models": [u.model for u in usages if u.model is not None],
        "burnRate": burn_rate(block) if active else None,
        "projection": projection(block, now_ms) if active else None,
    }
