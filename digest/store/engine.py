"""The store's engine: SQLite (WAL) by default, any URL SQLAlchemy takes, schema migrated on open;
and the few writes every part shares (outlets, articles)."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    create_engine,
    event,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from digest.errors import ConfigError, StoreError, os_reason
from digest.store.models import ArticleRow, Outlet


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")  # crawl and digest may write at once
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        _switch_to_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _switch_to_wal(cursor: Any, tries: int = 50) -> None:
    """Switch a new SQLite file to WAL. Two processes opening it at once can each hold the lock the
    other needs; SQLite then answers "locked" at once instead of waiting, so try again."""
    for attempt in range(tries):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == tries - 1:
                raise
            time.sleep(0.05)


SUPPORTED_BACKENDS = ("sqlite", "postgresql")


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def make_engine(url: str) -> Engine:
    """The process's engine for `url` (one pool per database per process), schema up to date."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = create_store_engine(url)
    return engine


def dispose_engines() -> None:
    """Close every pooled connection of the engines `make_engine` made (tests; end of a process)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def create_store_engine(url: str) -> Engine:
    """A new engine with the schema migrated to the newest; the caller disposes it.

    The schema comes from the Alembic migrations (`digest.store.migrate`), never `create_all`, so that new
    and old stores, SQLite and PostgreSQL, are built by one path. For SQLite, the folder is made and
    WAL switched on.
    """
    from digest.store.migrate import upgrade

    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)  # messages never carry the password
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise ConfigError(
            f"database {shown!r}: ckmon runs on SQLite or PostgreSQL, not {backend!r}"
        )
    if (path := _sqlite_file(parsed)) is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a read-only disk, a file where the folder should be
            raise StoreError(
                f"cannot open the store {shown}: cannot create its folder {path.parent}: "
                f"{os_reason(exc)} (check [store] url or $CKMON_DATABASE_URL)"
            ) from exc
    engine = create_engine(url, pool_pre_ping=backend == "postgresql")
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        upgrade(engine)
    except OperationalError as exc:  # the first connection: a server down, a file not openable
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreError(
            f"cannot open the store {shown}: {reason} (check [store] url or $CKMON_DATABASE_URL, "
            "and that the database server is running)"
        ) from exc
    except BaseException:
        engine.dispose()
        raise
    return engine


def store_failure(exc: OperationalError) -> str:
    """One line for a store that failed under way (a read-only file, a full disk, a server gone):
    the driver's reason without the statement or its parameters."""
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
    return (
        f"the store failed: {reason} (a read-only or full disk, or the database server gone; "
        "nothing after this was done)"
    )


def _sqlite_file(parsed: URL) -> Path | None:
    """The file of an SQLite store (None for another backend or an in-memory database)."""
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def sqlite_file_missing(url: str) -> bool:
    """True for an SQLite store whose file does not exist yet (opening it would create it)."""
    path = _sqlite_file(make_url(url))
    return path is not None and not path.exists()


def make_sessionmaker(url: str) -> sessionmaker:
    return sessionmaker(make_engine(url), expire_on_commit=False)


def get_outlet(session: Any, name: str, title: str = "", lang: str = "") -> Outlet:
    """The outlet row for `name`, created on first use (an upsert: workers may start together)."""
    from sqlalchemy import select

    outlet = session.scalars(select(Outlet).where(Outlet.name == name)).first()
    if outlet is None:
        session.execute(
            dialect_insert(session)(Outlet)
            .values(name=name, title=title or name, lang=lang)
            .on_conflict_do_nothing(index_elements=[Outlet.name])
        )
        outlet = session.scalars(select(Outlet).where(Outlet.name == name)).one()
    elif title and (outlet.title != title or outlet.lang != lang):
        outlet.title, outlet.lang = title, lang
    return outlet


def dialect_insert(bind: Session | Connection | Engine) -> Any:
    """The back end's own INSERT, which has ON CONFLICT (upserts) on both SQLite and PostgreSQL."""
    name = (bind.get_bind() if isinstance(bind, Session) else bind).dialect.name
    if name not in SUPPORTED_BACKENDS:
        raise ConfigError(f"ckmon runs on SQLite or PostgreSQL, not {name!r}")
    return postgresql.insert if name == "postgresql" else sqlite.insert


def insert_article(session: Session, values: dict[str, Any]) -> int | None:
    """Store an article unless its canonical URL is stored: the new row's id, else None.

    `INSERT ... ON CONFLICT (canonical_url) DO NOTHING`: the unique key decides, in the database, so
    several workers storing the same article at once store it once, and none of them fails. The
    caller commits.
    """
    return session.connection().scalar(_insert_article(dialect_insert(session)), values)


@cache
def _insert_article(insert: Any) -> Any:
    """The statement, built once per back end: values go in as parameters, so SQLAlchemy reuses
    its compiled form instead of building and hashing a new statement for every article (and it
    runs on the session's connection, without the ORM's bulk-insert bookkeeping)."""
    return (
        insert(ArticleRow)
        .on_conflict_do_nothing(index_elements=[ArticleRow.canonical_url])
        .returning(ArticleRow.id)
    )


def utcnow() -> datetime:
    return datetime.now(UTC)
