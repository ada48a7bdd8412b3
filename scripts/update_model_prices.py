"""Regenerate seeds/model_prices.csv from LiteLLM's model_prices_and_context_window.json.

    pip install litellm            # in a scratch venv: chatlake does not depend on it
    python scripts/update_model_prices.py [path/to/model_prices_and_context_window.json]

Without a path, the copy inside the installed `litellm` package is read. Anthropic's models,
OpenAI's and Google's Gemini models (issue 19's sources need them) are kept, under the names their
own APIs and transcripts use (no `bedrock/`, `vertex_ai/` ... entries; Gemini's are LiteLLM's
`gemini/` entries, the Gemini API's prices, which Gemini CLI is billed at, without the prefix). Prices are per million tokens; an empty cell is a
price LiteLLM does not give. The 1-hour cache write costs twice the input price, as Anthropic
charges it and ccusage computes it, where LiteLLM names no price of its own.
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from pathlib import Path

SEED = Path(__file__).resolve().parent.parent / "seeds" / "model_prices.csv"
PROVIDERS = {"anthropic", "openai", "text-completion-openai"}
# The Gemini API's models, as LiteLLM names them; the seed's name drops the prefix, as Gemini CLI writes it.
GEMINI_PREFIX = "gemini/gemini-"
COLUMNS = [
    "model", "provider",
    "input_per_mtok", "output_per_mtok", "cache_write_5m_per_mtok", "cache_write_1h_per_mtok", "cache_read_per_mtok",
    "input_above_200k_per_mtok", "output_above_200k_per_mtok", "cache_write_5m_above_200k_per_mtok",
    "cache_write_1h_above_200k_per_mtok", "cache_read_above_200k_per_mtok",
    "fast_multiplier", "us_only_multiplier", "web_search_per_request", "prices_taken_on",
]


# Fast mode's price multiplier where LiteLLM gives none (Anthropic's fast-mode prices: six times
# the standard rate on Opus 4.6 and 4.7, twice on Opus 4.8; the figures ccusage 20 uses), by name prefix.
FAST_MULTIPLIERS = {"claude-opus-4-6": 6.0, "claude-opus-4-7": 6.0, "claude-opus-4-8": 2.0}


# Models LiteLLM's current file no longer lists, which older transcripts name: Anthropic's
# published prices (per million: input, output, 5-minute cache write, cache read), as ccusage 20's built-in
# table has them. A dated name (claude-sonnet-4-20250514) is priced by its undated one.
RETIRED = {
    "claude-sonnet-4": (3.0, 15.0, 3.75, 0.3),
    "claude-opus-4": (15.0, 75.0, 18.75, 1.5),
    "claude-opus-4-1": (15.0, 75.0, 18.75, 1.5),
    "claude-3-7-sonnet": (3.0, 15.0, 3.75, 0.3),
    "claude-3-5-sonnet": (3.0, 15.0, 3.75, 0.3),
    "claude-3-5-haiku": (0.8, 4.0, 1.0, 0.08),
    "claude-3-opus": (15.0, 75.0, 18.75, 1.5),
    "claude-3-sonnet": (3.0, 15.0, 3.75, 0.3),
    "claude-3-haiku": (0.25, 1.25, 0.3, 0.03),
}


# Sonnet 4 and 4.5's long-context tier (input, output, cache write, cache read above 200k tokens),
# Anthropic's published rates, which LiteLLM's file has dropped and ccusage 20 still applies.
LONG_CONTEXT = {"claude-sonnet-4-5": (6.0, 22.5, 7.5, 0.6), "claude-sonnet-4": (6.0, 22.5, 7.5, 0.6)}


def _long_context(model: str) -> tuple | None:
    for prefix, tier in LONG_CONTEXT.items():
        if model == prefix or (model.startswith(prefix + "-") and model[len(prefix) + 1:].isdigit()):
            return tier
    return None


# Gemini models LiteLLM's current file no longer lists, which Gemini CLI sessions of late 2025 name:
# Google's published Gemini API prices per million (input, output, cache read; then the same above
# 200k prompt tokens).
RETIRED_GEMINI = {
    "gemini-3-pro-preview": (2.0, 12.0, 0.2, 4.0, 18.0, 0.4),
    "gemini-2.0-flash": (0.1, 0.4, 0.025, None, None, None),
    "gemini-2.0-flash-lite": (0.075, 0.3, None, None, None, None),
}


def retired_rows(known: set[str], taken_on: str) -> list[dict]:
    rows = []
    for model, (i, o, r, ai, ao, ar) in RETIRED_GEMINI.items():
        if model in known:
            continue
        entry = {"litellm_provider": "gemini", "input_cost_per_token": i / 1e6, "output_cost_per_token": o / 1e6}
        for key, price in (("cache_read_input_token_cost", r), ("input_cost_per_token_above_200k_tokens", ai),
                           ("output_cost_per_token_above_200k_tokens", ao),
                           ("cache_read_input_token_cost_above_200k_tokens", ar)):
            if price is not None:
                entry[key] = price / 1e6
        rows.append(price_row(GEMINI_PREFIX[:-len("gemini-")] + model, entry, taken_on))
    for model, (i, o, w, r) in RETIRED.items():
        if model in known:
            continue
        entry = {"litellm_provider": "anthropic", "input_cost_per_token": i / 1e6, "output_cost_per_token": o / 1e6,
                 "cache_creation_input_token_cost": w / 1e6, "cache_read_input_token_cost": r / 1e6}
        rows.append(price_row(model, entry, taken_on))
    return rows


def _fast_multiplier(model: str, specific: dict) -> float | None:
    if isinstance(specific.get("fast"), (int, float)):
        return specific["fast"]
    return next((m for prefix, m in FAST_MULTIPLIERS.items() if model == prefix or model.startswith(prefix + "-")), None)


def _per_mtok(value) -> float | None:
    """LiteLLM's price per token as a price per million, rounded off float noise."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    return round(value * 1_000_000, 6)


def _web_search_price(entry: dict) -> float | None:
    """USD per web search request (LiteLLM gives it per query, by search context size)."""
    per_query = entry.get("search_context_cost_per_query")
    if isinstance(per_query, dict):
        prices = [v for v in per_query.values() if isinstance(v, (int, float))]
        return round(min(prices), 6) if prices else None
    return None


def price_row(model: str, entry: dict, taken_on: str) -> dict | None:
    """The seed's row for one LiteLLM entry, or None when it is not a priced Anthropic, OpenAI or Gemini chat model."""
    if entry.get("litellm_provider") == "gemini" and model.startswith(GEMINI_PREFIX):
        model = model.removeprefix("gemini/")
    elif entry.get("litellm_provider") not in PROVIDERS or "/" in model or model == "sample_spec":
        return None
    if entry.get("mode") not in (None, "chat", "responses", "completion"):
        return None
    input_price, output_price = _per_mtok(entry.get("input_cost_per_token")), _per_mtok(entry.get("output_cost_per_token"))
    if input_price is None or output_price is None:
        return None
    tier = _long_context(model)
    if tier and entry.get("input_cost_per_token_above_200k_tokens") is None:
        entry = dict(entry)
        for key, price in zip(("input_cost_per_token", "output_cost_per_token", "cache_creation_input_token_cost",
                               "cache_read_input_token_cost"), tier):
            entry[f"{key}_above_200k_tokens"] = price / 1e6
    above_input = _per_mtok(entry.get("input_cost_per_token_above_200k_tokens"))
    # ccusage's defaults where LiteLLM is silent: a cache write at 1.25x input, a read at 0.1x
    write_5m = _per_mtok(entry.get("cache_creation_input_token_cost"))
    write_5m = write_5m if write_5m is not None else round(input_price * 1.25, 6)
    read = _per_mtok(entry.get("cache_read_input_token_cost"))
    read = read if read is not None else round(input_price * 0.1, 6)
    # ccusage prices a 1-hour write at twice the input price (Anthropic's rate), whatever LiteLLM says
    write_1h = round(input_price * 2, 6)
    specific = entry.get("provider_specific_entry") if isinstance(entry.get("provider_specific_entry"), dict) else {}
    return {
        "model": model,
        "provider": {"gemini": "google"}.get(entry["litellm_provider"],
                                             "openai" if "openai" in entry["litellm_provider"] else "anthropic"),
        "input_per_mtok": input_price,
        "output_per_mtok": output_price,
        "cache_write_5m_per_mtok": write_5m,
        "cache_write_1h_per_mtok": write_1h,
        "cache_read_per_mtok": read,
        "input_above_200k_per_mtok": above_input,
        "output_above_200k_per_mtok": _per_mtok(entry.get("output_cost_per_token_above_200k_tokens")),
        "cache_write_5m_above_200k_per_mtok": _per_mtok(entry.get("cache_creation_input_token_cost_above_200k_tokens")),
        "cache_write_1h_above_200k_per_mtok": round(above_input * 2, 6) if above_input is not None else None,
        "cache_read_above_200k_per_mtok": _per_mtok(entry.get("cache_read_input_token_cost_above_200k_tokens")),
        "fast_multiplier": _fast_multiplier(model, specific),
        "us_only_multiplier": specific.get("us"),
        "web_search_per_request": _web_search_price(entry),
        "prices_taken_on": taken_on,
    }


def litellm_json() -> Path:
    """The copy the litellm package ships (found without importing it: its import goes online)."""
    import importlib.util

    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("litellm is not installed: pip install litellm, or pass the JSON's path")
    folder = Path(list(spec.submodule_search_locations)[0])
    for name in ("model_prices_and_context_window_backup.json", "model_prices_and_context_window.json"):
        if (folder / name).exists():
            return folder / name
    raise SystemExit(f"no model_prices_and_context_window.json in {folder}")


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else litellm_json()
    prices = json.loads(source.read_text())
    taken_on = date.today().isoformat()
    rows = [row for model, entry in sorted(prices.items()) if isinstance(entry, dict)
            and (row := price_row(model, entry, taken_on)) is not None]
    rows = sorted(rows + retired_rows({r["model"] for r in rows}, taken_on), key=lambda r: r["model"])
    with SEED.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    print(f"{SEED}: {len(rows)} models from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
