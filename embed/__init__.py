"""The embed step: distinct human-message texts -> an embedding API -> pgvector, resumably."""

from chatlake.embed.api import EmbedSummary, embed_messages, init_target
from chatlake.embed.config import EmbedConfig, resolve_config

__all__ = ["EmbedConfig", "EmbedSummary", "embed_messages", "init_target", "resolve_config"]
