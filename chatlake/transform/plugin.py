"""dbt-duckdb plugin: make sure the warehouse's folder exists before DuckDB opens it."""

from __future__ import annotations

import os
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        path = getattr(self.creds, "path", None)
        if path and path != ":memory:" and "://" not in path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
