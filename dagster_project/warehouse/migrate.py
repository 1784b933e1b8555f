"""Run the Alembic migrations in ``migrations/`` against a database URL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, pool

from dagster_project.config import PROJECT_ROOT
from dagster_project.warehouse.database import sqlalchemy_url, with_database

log = logging.getLogger(__name__)

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
# pg_advisory_lock key shared by every perf-analytics migrator on a server ("perfmigr").
SERVER_LOCK_KEY = 0x70657266_6D696772


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = url
    return config


@contextmanager
def server_migration_lock(url: str) -> Iterator[None]:
    """Serialise migrations across the databases of one server.

    Migrations create and alter cluster-wide roles, so two databases migrating at once (pytest
    workers, several warehouses on one server) race on them ("tuple concurrently updated").
    Advisory locks are scoped to a database, so the lock is taken in the ``postgres`` maintenance
    database; a login without access to it locks in the target database instead.
    """
    try:
        conn = psycopg.connect(with_database(url, "postgres"), autocommit=True)
    except psycopg.OperationalError:
        log.debug("no access to the postgres database: migration lock taken in the target database")
        conn = psycopg.connect(url, autocommit=True)
    with conn:
        conn.execute("select pg_advisory_lock(%s)", (SERVER_LOCK_KEY,))
        try:
            yield
        finally:
            conn.execute("select pg_advisory_unlock(%s)", (SERVER_LOCK_KEY,))


def upgrade(url: str, revision: str = "head") -> None:
    with server_migration_lock(url):
        command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    with server_migration_lock(url):
        command.downgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
