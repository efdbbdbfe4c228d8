"""Alembic's entry point: run by `digest.store.migrate` with an open connection, or by the `alembic` CLI."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from digest.store.migrate import configure_context, database_url_for_cli

config = context.config


def run(connection: Connection) -> None:
    configure_context(context, connection)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:  # digest.store.migrate.upgrade: the caller holds the lock and commits
    run(connection)
else:
    with create_engine(database_url_for_cli(config)).connect() as own:
        run(own)
        own.commit()
