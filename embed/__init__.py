"""The embed step: distinct human-message texts -> an embedding API -> pgvector, resumably.

Names load on first use, so `import chatlake.embed.config` (the CLI does) does not pay for
the openai client.
"""

from importlib import import_module

_EXPORTS = {
    "EmbedSummary": "chatlake.embed.api",
    "embed_messages": "chatlake.embed.api",
    "init_target": "chatlake.embed.api",
    "EmbedConfig": "chatlake.embed.config",
    "resolve_config": "chatlake.embed.config",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'chatlake.embed' has no attribute {name!r}")
