"""Chat exports (ChatGPT, Claude.ai): find them, read their conversations, land them in `raw.*`."""
