"""The embedded PostgreSQL from the pgserver wheel, used when no database URL is configured."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

log = logging.getLogger(__name__)

_servers: dict[Path, Any] = {}


def embedded_server_uri(data_dir: Path, database: str = "postgres") -> str:
    """Start (or reuse) the embedded server whose data lives under ``data_dir/pg``; return a libpq URI."""
    # pgserver warns at import time that XDG_RUNTIME_DIR is unset (normal on servers and in containers).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    pgdata = (data_dir / "pg").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = _servers.get(pgdata)
    if server is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server = pgserver.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
        _servers[pgdata] = server
        log.info("embedded postgresql ready", extra={"pgdata": str(pgdata)})
    uri: str = server.get_uri(database)
    return uri


def to_asyncpg_url(libpq_uri: str) -> str:
    """Turn pgserver's ``postgresql://postgres:@/db?host=/sock`` into an asyncpg SQLAlchemy URL."""
    parsed = urlparse(libpq_uri)
    host = parse_qs(parsed.query).get("host", [""])[0]
    database = parsed.path.lstrip("/") or "postgres"
    return f"postgresql+asyncpg://{parsed.username or 'postgres'}@/{database}?host={host}"


def ensure_database(data_dir: Path, database: str) -> str:
    """Make sure ``database`` exists in the embedded server and return its asyncpg URL."""
    admin_uri = embedded_server_uri(data_dir)
    pgdata = (data_dir / "pg").resolve()
    server = _servers[pgdata]
    if not database.replace("_", "").isalnum():
        raise ValueError(f"unsafe database name {database!r}")
    # psql takes no bind parameters; the name is checked above and comes from our own code.
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    return to_asyncpg_url(admin_uri.replace("/postgres?", f"/{database}?"))
