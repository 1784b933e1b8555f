"""Alembic environment: plain SQL migrations run through a psycopg 3 engine.

The URL comes from the caller (``dagster_project.warehouse.migrate``) via
``config.attributes["url"]`` or, for the bare ``alembic`` CLI, from the app settings.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from dagster_project.warehouse.database import resolve_database_url, sqlalchemy_url

config = context.config


def _url() -> str:
    return config.attributes.get("url") or resolve_database_url()


def run_migrations_offline() -> None:
    context.configure(url=sqlalchemy_url(_url()), literal_binds=True, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(sqlalchemy_url(_url()), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, transactional_ddl=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
