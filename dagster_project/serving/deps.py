"""FastAPI dependencies: the caller's API key and a connection scoped to its workspace.

Contract for route modules::

    from dagster_project.serving.deps import AdminCaller, ApiCaller, WorkspaceConnection

    @router.get("/dashboard/overview")
    def overview(conn: WorkspaceConnection, caller: ApiCaller) -> Overview: ...

- ``ApiCaller`` (``Caller`` from :func:`require_api_key`): header ``X-API-Key`` holds a key made
  by ``perf-analytics api-key create``; missing, malformed, unknown or revoked -> 401.
- ``AdminCaller`` (:func:`require_admin`): the same, and 403 unless the key is an admin key.
- ``WorkspaceConnection`` (:func:`workspace_connection`): a psycopg connection inside an open
  transaction that ran ``SET LOCAL ROLE perf_reader`` and set ``perf.workspace_id`` to the
  caller's workspace.  Every read through it is limited by the row-level security BI readers
  have (``raw.current_workspaces()``, migration 0007): no query needs a workspace filter of its
  own, and no request can see another workspace's rows.  It is read-only (the reader role);
  the transaction ends (rolled back or committed, nothing was written) after the response was
  sent, so a streamed response may keep reading from it.
- ``Now`` (:func:`request_time`): the request's clock (UTC); tests override ``request_time``.
- ``ApiConnection`` (:func:`api_connection`): the request's connection as the API login, in
  autocommit mode, for code that manages its own transactions and roles (tracking writes as
  ``perf_writer``, admin maintenance).  It is the same connection the two above use.

The API's login must be a member of ``perf_api`` (``grant perf_api to <login>``); a superuser
login (tests, the embedded server) is one implicitly.

Connections: one plain psycopg connection per request from ``app.state.connections``
(:class:`ConnectionSource`); opening one costs ~2 ms on a local server, so there is no pool.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

import psycopg
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader

from dagster_project.config import AnalyticsSettings
from dagster_project.serving.auth import Caller, verify_api_key
from dagster_project.warehouse.database import resolve_database_url

__all__ = [
    "AdminCaller",
    "ApiCaller",
    "ApiConnection",
    "Caller",
    "ConnectionSource",
    "Now",
    "WorkspaceConnection",
    "api_connection",
    "request_time",
    "require_admin",
    "require_api_key",
    "workspace_connection",
    "workspace_scope",
]

API_KEY_HEADER = "X-API-Key"
WORKSPACE_SETTING = "perf.workspace_id"

_api_key_header = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="A key from `perf-analytics api-key create`; it decides the workspace you see.",
)


@dataclass(frozen=True)
class ConnectionSource:
    """Where request connections come from (the warehouse URL; never logged)."""

    url: str

    @classmethod
    def from_settings(cls, settings: AnalyticsSettings) -> ConnectionSource:
        return cls(resolve_database_url(settings))

    @contextmanager
    def connect(self) -> Iterator[psycopg.Connection]:
        """An autocommit connection as the API login, closed afterwards."""
        with psycopg.connect(
            self.url, autocommit=True, application_name="perf-analytics-api", connect_timeout=10
        ) as conn:
            yield conn


def api_connection(request: Request) -> Iterator[psycopg.Connection]:
    source: ConnectionSource = request.app.state.connections
    with source.connect() as conn:
        yield conn


ApiConnection = Annotated[psycopg.Connection, Depends(api_connection)]


def require_api_key(
    conn: ApiConnection, token: Annotated[str | None, Depends(_api_key_header)] = None
) -> Caller:
    if not token:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            f"missing {API_KEY_HEADER} header",
            headers={"WWW-Authenticate": API_KEY_HEADER},
        )
    caller = verify_api_key(conn, token)
    if caller is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "invalid or revoked API key",
            headers={"WWW-Authenticate": API_KEY_HEADER},
        )
    return caller


ApiCaller = Annotated[Caller, Depends(require_api_key)]


def require_admin(caller: ApiCaller) -> Caller:
    if not caller.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this endpoint needs an admin API key")
    return caller


AdminCaller = Annotated[Caller, Depends(require_admin)]


@contextmanager
def workspace_scope(conn: psycopg.Connection, workspace_id: str) -> Iterator[psycopg.Connection]:
    """A transaction on ``conn`` that reads as ``perf_reader`` limited to ``workspace_id``."""
    with conn.transaction():
        conn.execute("set local role perf_reader")
        conn.execute("select set_config(%s, %s, true)", (WORKSPACE_SETTING, workspace_id))
        yield conn


def workspace_connection(conn: ApiConnection, caller: ApiCaller) -> Iterator[psycopg.Connection]:
    with workspace_scope(conn, caller.workspace_id):
        yield conn


WorkspaceConnection = Annotated[psycopg.Connection, Depends(workspace_connection)]


def request_time() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


Now = Annotated[dt.datetime, Depends(request_time)]
