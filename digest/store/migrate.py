"""Schema migrations with Alembic: every store, new or old, SQLite or PostgreSQL, gets the same chain.

A fresh database is built by running the migrations, not by `create_all`: the path that builds a new
store is then the very path that upgrades an old one, so a migration that does not work is seen on
the first test run, and a test compares the models with the migrations (schema drift fails CI).
Concurrent starters (several crawl workers on one fresh database) are serialized by a lock taken in
the migrating transaction: a PostgreSQL advisory lock, or SQLite's write lock (`BEGIN IMMEDIATE`).

For developers, after changing a model:

    python -m digest.store.migrate revision -m "what changed"

writes a new file under `digest/store/migrations/versions/`, compared against a scratch SQLite store.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import tempfile
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, TypeDecorator, inspect, text
from sqlalchemy.engine import Connection, Engine

# Alembic is imported only where a migration runs or is written: a process whose store is at the
# newest revision (every crawl but the first after an upgrade) does not load it (about 8 MB).
if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

SCRIPT_LOCATION = "digest.store:migrations"
# The schema of the walking skeleton, which stores made with `create_all` before migrations have.
BASELINE = "0001"
# pg_advisory_xact_lock key for "the schema is being migrated" (b"ckmon-mg" as a signed 64-bit int)
MIGRATION_LOCK_KEY = int.from_bytes(b"ckmon-mg", "big", signed=True)
# What migrations make that no model declares: the search indexes of 0005 (SQLite's FTS5 table and
# the shadow tables it keeps, PostgreSQL's expression indexes). The comparison of models and
# migrations leaves them out.
UNMODELLED_TABLE_PREFIX = "articles_fts"
UNMODELLED_INDEXES = frozenset({"ix_articles_search_words", "ix_articles_search_trigrams"})


def target_metadata() -> MetaData:
    """Every table ckmon declares (the lock claims among them: they are models too)."""
    from digest.store.models import Base

    return Base.metadata


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    # New revisions are written in the project's style.
    config.set_section_option("post_write_hooks", "hooks", "format, lint")
    config.set_section_option("post_write_hooks", "format.type", "module")
    config.set_section_option("post_write_hooks", "format.module", "ruff")
    config.set_section_option(
        "post_write_hooks", "format.options", "format REVISION_SCRIPT_FILENAME"
    )
    config.set_section_option("post_write_hooks", "lint.type", "module")
    config.set_section_option("post_write_hooks", "lint.module", "ruff")
    config.set_section_option(
        "post_write_hooks", "lint.options", "check --fix REVISION_SCRIPT_FILENAME"
    )
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def head() -> str | None:
    """The newest revision shipped with this ckmon (the migration files do not change at run time)."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) > 1:  # not an assert: must hold under python -O
        raise RuntimeError(f"the migrations have {len(heads)} heads ({heads}); merge them")
    return heads[0] if heads else None


def current(connection: Connection) -> str | None:
    """The revision a database is at; None for an empty one (or one made before migrations)."""
    from alembic.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")


@cache
def shipped_head() -> str | None:
    """The newest revision by the file names (`new_revision` numbers them 0001, 0002, ...), read
    without Alembic; a test checks that it is Alembic's head."""
    versions = resources.files("digest.store.migrations").joinpath("versions")
    numbers = [m[1] for f in versions.iterdir() if (m := _REVISION_FILE.match(f.name))]
    return max(numbers) if numbers else None


def stamped(connection: Connection) -> str | None:
    """The single revision recorded in the database, read with plain SQL (None: none or several)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).fetchall()
    return rows[0][0] if len(rows) == 1 else None


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write our column types as their plain SQL types: a migration must not import model code."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl_instance!r}"  # the template imports sqlalchemy as sa
    return False


def _include_name(name: str | None, type_: str, _parents: Any) -> bool:
    """Compare every object but the search indexes, which no model declares."""
    if type_ == "table":
        return not (name or "").startswith(UNMODELLED_TABLE_PREFIX)
    if type_ == "index":
        return name not in UNMODELLED_INDEXES
    return True


def configure_context(context: Any, connection: Connection) -> None:
    """The one Alembic configuration, for upgrades, `check` and new revisions alike."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata(),
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        render_item=_render_item,
        include_name=_include_name,
        compare_type=True,
        compare_server_default=True,
    )


def database_url_for_cli(config: Config) -> str:
    """For the `alembic` command line: `-x url=...`, else $CKMON_DATABASE_URL."""
    url = config.get_x_argument(as_dictionary=True).get("url") or os.environ.get(
        "CKMON_DATABASE_URL"
    )
    if not url:
        raise SystemExit("give the database: alembic -x url=URL ... or set CKMON_DATABASE_URL")
    return url


def _lock(connection: Connection) -> None:
    """Begin the migrating transaction holding the schema lock, so only one process migrates."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    elif connection.dialect.name == "sqlite":
        # pysqlite begins no transaction before DDL by itself: take the write lock explicitly.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema; cheap when it is there already."""
    with engine.connect() as connection:
        at = stamped(connection)
        if at is not None and at == shipped_head():  # the usual case: no Alembic needed
            return
        if current(connection) == head():
            return
    from alembic import command

    with engine.connect() as connection:
        _lock(connection)
        tables = set(inspect(connection).get_table_names())
        if "alembic_version" not in tables and "articles" in tables:
            log.info("store made before migrations: marking it as revision %s", BASELINE)
            command.stamp(alembic_config(connection), BASELINE)
        before = current(connection)
        command.upgrade(alembic_config(connection), "head")
        connection.commit()
    if before != head():
        log.info("database schema upgraded from %s to %s", before or "empty", head())


def check(engine: Engine) -> None:
    """Raise `alembic.util.AutogenerateDiffsDetected` if the models differ from the migrations."""
    from alembic import command

    upgrade(engine)
    with engine.connect() as connection:
        command.check(alembic_config(connection))


def new_revision(message: str) -> None:
    """Autogenerate a migration from the models, against a scratch SQLite store at head."""
    from alembic import command
    from sqlalchemy import create_engine

    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'scratch.sqlite'}")
        upgrade(engine)
        versions = Path(str(resources.files("digest.store.migrations").joinpath("versions")))
        number = len(list(versions.glob("[0-9][0-9][0-9][0-9]_*.py"))) + 1
        with engine.connect() as connection:
            command.revision(
                alembic_config(connection),
                message=message,
                autogenerate=True,
                rev_id=f"{number:04d}",
            )
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m digest.store.migrate", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    revision = sub.add_parser("revision", help="write a new migration from the models")
    revision.add_argument("-m", "--message", required=True)
    args = parser.parse_args()
    if args.command == "revision":
        new_revision(args.message)


if __name__ == "__main__":
    main()
