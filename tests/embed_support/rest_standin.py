"""A STAND-IN for Supabase's REST gateway (PostgREST behind Kong), which cannot run here.

It serves only the few endpoints chatlake's REST target calls, the way PostgREST answers
them, and runs the SQL PostgREST would run against a real Postgres with pgvector:
  POST /rest/v1/<table>?on_conflict=..&columns=..   bulk upsert (Prefer: resolution=merge|ignore-duplicates)
  POST /rest/v1/rpc/<function>                       call a function with named JSON arguments
It checks the `apikey` header and the bearer token like the gateway does, and records each
request's row count so tests can check that no upsert carries more than 500 rows.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import psycopg
from psycopg import sql

TABLES = {"chatlake_messages", "chatlake_embeddings"}
FUNCTIONS = {"chatlake_embedding_dimensions", "chatlake_existing_hashes", "chatlake_search_messages"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "RestStandIn"

    def log_message(self, *args) -> None:
        pass

    def _send(self, status: int, payload) -> None:
        body = b"" if payload is None else json.dumps(payload, default=str).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
        key = self.server.service_key
        if self.headers.get("apikey") != key or self.headers.get("Authorization") != f"Bearer {key}":
            return self._send(401, {"message": "Invalid API key"})
        url = urlparse(self.path)
        parts = url.path.strip("/").split("/")
        with self.server.lock:
            self.server.calls.append((url.path, len(body) if isinstance(body, list) else 1))
            try:
                if parts[:3] == ["rest", "v1", "rpc"] and parts[3] in FUNCTIONS:
                    return self._send(200, self._rpc(parts[3], body))
                if parts[:2] == ["rest", "v1"] and parts[2] in TABLES:
                    self._upsert(parts[2], body, parse_qs(url.query), self.headers.get("Prefer", ""))
                    return self._send(201, None)
            except psycopg.Error as exc:
                self.server.conn.rollback()
                status = 404 if isinstance(exc, psycopg.errors.UndefinedFunction) else 400
                return self._send(status, {"code": exc.sqlstate, "message": str(exc).splitlines()[0]})
        self._send(404, {"message": f"no route {url.path}"})

    def _rpc(self, name: str, args: dict):
        conn = self.server.conn
        call = sql.SQL("select * from {}({})").format(
            sql.Identifier(name),
            sql.SQL(", ").join(sql.SQL("{} => {}").format(sql.Identifier(k), sql.Placeholder()) for k in args),
        )
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(call, list(args.values()))
            names = [d.name for d in cur.description]
            rows = cur.fetchall()
        if name == "chatlake_embedding_dimensions":  # a scalar function: PostgREST returns the bare value
            return rows[0][0]
        if name == "chatlake_existing_hashes":  # setof a scalar: a JSON array of values
            return [r[0] for r in rows]
        return [dict(zip(names, r)) for r in rows]

    def _upsert(self, table: str, rows: list[dict], query: dict, prefer: str) -> None:
        # PostgREST takes column names bare or double-quoted (postgrest-py quotes them).
        columns = [c.strip('"') for c in (query.get("columns") or [",".join(rows[0])])[0].split(",")]
        conflict = [c.strip('"') for c in (query.get("on_conflict") or [""])[0].split(",")]
        ident = sql.Identifier(table)
        cols = sql.SQL(", ").join(map(sql.Identifier, columns))
        if "resolution=ignore-duplicates" in prefer:
            action = sql.SQL("do nothing")
        else:
            action = sql.SQL("do update set ") + sql.SQL(", ").join(
                sql.SQL("{0} = excluded.{0}").format(sql.Identifier(c)) for c in columns if c not in conflict)
        statement = sql.SQL(
            "insert into {t} ({cols}) select {cols} from json_populate_recordset(null::{t}, %s::json)"
            " on conflict ({keys}) {action}"
        ).format(t=ident, cols=cols, keys=sql.SQL(", ").join(map(sql.Identifier, conflict)), action=action)
        with self.server.conn.transaction():
            self.server.conn.execute(statement, [json.dumps(rows)])


class RestStandIn(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, dsn: str, service_key: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.conn = psycopg.connect(dsn)
        self.service_key = service_key
        self.lock = threading.Lock()
        self.calls: list[tuple[str, int]] = []
        self.thread = threading.Thread(target=self.serve_forever, name="rest-standin", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> "RestStandIn":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self.conn.close()
