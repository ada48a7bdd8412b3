"""dbt-duckdb plugin: make sure the warehouse's folder exists before DuckDB opens it, and cap the
memory of chatlake's own builds."""

from __future__ import annotations

import os
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        path = getattr(self.creds, "path", None)
        if path and path != ":memory:" and "://" not in path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        # empty for a plain `dbt build` (profiles.yml): DuckDB's own default, 80 % of the RAM
        self.memory_limit = str(plugin_config.get("memory_limit") or "")

    def configure_connection(self, conn: Any) -> None:
        # Without a cap DuckDB keeps what the largest window or join of a build asked for (4.1 GB
        # for a 1 GiB Codex tree); with one it spills to the warehouse's `.tmp` folder instead.
        if self.memory_limit:
            conn.execute(f"set memory_limit = '{self.memory_limit}'")
