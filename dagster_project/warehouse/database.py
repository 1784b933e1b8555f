"""Where the warehouse lives and how to connect to it.

``DATABASE_URL`` wins when set; otherwise the embedded server under ``DATA_DIR`` is started
and its ``warehouse`` database used.  Dagster's own run/event storage lives in a sibling
database (``dagster``) on the same server.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from dagster_project.config import AnalyticsSettings, get_settings
from dagster_project.warehouse.embedded import embedded_server_uri

EMBEDDED_WAREHOUSE_DB = "warehouse"
DAGSTER_STORAGE_DB = "dagster"


@dataclass(frozen=True)
class ConnectionParams:
    """The parts of a Postgres URL that dbt's profile and libpq tools need."""

    host: str
    port: int
    user: str
    password: str
    dbname: str


def with_database(url: str, dbname: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


def redact_password(url: str) -> str:
    """``url`` with its password (in the user part or a ``password=`` parameter) replaced by ``***``,
    for printing."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password:  # an empty one (the embedded server's) hides nothing
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.split(':', 1)[0]}:***@{host}"
    query = "&".join(
        f"{key}=***" if key == "password" else f"{key}={value}"
        for key, _, value in (item.partition("=") for item in parts.query.split("&") if item)
    )
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def database_name(url: str) -> str:
    return unquote(urlsplit(url).path.lstrip("/")) or "postgres"


def connection_params(url: str) -> ConnectionParams:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or "localhost"])[0]
    port = int(query.get("port", [parts.port or 5432])[0])
    return ConnectionParams(
        host=host,
        port=port,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        dbname=database_name(url),
    )


def sqlalchemy_url(url: str, driver: str = "psycopg") -> str:
    """SQLAlchemy form of a libpq URL (``psycopg`` = psycopg 3, ``psycopg2`` for dagster-postgres)."""
    scheme = "postgresql+psycopg" if driver == "psycopg" else "postgresql"
    return urlunsplit(urlsplit(url)._replace(scheme=scheme))


def ensure_database(url: str) -> None:
    """Create the URL's database if it does not exist (needs CREATEDB on the server)."""
    name = database_name(url)
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as admin:
        exists = admin.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if not exists:
            admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))


def resolve_database_url(settings: AnalyticsSettings | None = None) -> str:
    """The warehouse URL: DATABASE_URL, or the embedded server's ``warehouse`` database."""
    settings = settings or get_settings()
    if settings.DATABASE_URL is not None:
        return settings.DATABASE_URL.get_secret_value()
    url = with_database(embedded_server_uri(settings.DATA_DIR), EMBEDDED_WAREHOUSE_DB)
    ensure_database(url)
    return url


def dagster_storage_url(warehouse_url: str) -> str:
    """Dagster run/event storage: a ``dagster`` database beside the warehouse."""
    url = with_database(warehouse_url, DAGSTER_STORAGE_DB)
    ensure_database(url)
    return url


@contextmanager
def connect(url: str, *, autocommit: bool = False) -> Iterator[psycopg.Connection]:
    """A psycopg 3 connection that commits on success and rolls back on error."""
    with psycopg.connect(url, autocommit=autocommit, application_name="perf-analytics") as conn:
        yield conn
