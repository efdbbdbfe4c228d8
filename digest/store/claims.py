"""Locks in the database, so that several schedulers or crawl workers agree on who does a job.

PostgreSQL has advisory locks: a session lock for a job that spans several transactions (building
and sending an edition), a transaction lock for one transaction (assigning a cluster). Both vanish
with the connection, so a crashed holder never blocks the others.

SQLite has no such locks; there a claim is a row of `lock_claims` (inserted only if absent, with a
lease so that a crashed holder's claim expires), and a transaction lock is SQLite's single write
lock, taken at once (`BEGIN IMMEDIATE`) and held until the transaction ends.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from digest.errors import CkmonError
from digest.store.engine import dialect_insert, utcnow
from digest.store.models import LockClaim

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(hours=1)  # longer than any edition takes to build and send
POLL_SECONDS = 0.2


class LockTimeout(CkmonError):
    """Waited too long for a lock another process holds."""

    exit_code = 75  # EX_TEMPFAIL, like LockedError: try again later


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (PostgreSQL advisory locks are keyed by bigint)."""
    return int.from_bytes(
        hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True
    )


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _dead(holder: str) -> bool:
    """True when `holder` was a process on this machine that no longer exists (killed, crashed):
    its claim need not wait for the lease to expire. Claims from other machines wait."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another user
        return False
    return False


@contextmanager
def held(
    engine: Engine,
    name: str,
    *,
    wait: float = 0.0,
    lease: timedelta = DEFAULT_LEASE,
    clock: Callable[[], datetime] = utcnow,
) -> Iterator[bool]:
    """Hold the lock `name` for the block: yields True if this process got it, False if another has it.

    `wait` is how many seconds to keep trying before giving up (0: one try).
    """
    if engine.dialect.name == "postgresql":
        with _advisory(engine, name, wait) as got:
            yield got
    else:
        with _claim(engine, name, wait, lease, clock) as got:
            yield got


@contextmanager
def _advisory(engine: Engine, name: str, wait: float) -> Iterator[bool]:
    key = lock_key(name)
    # One connection, kept out of the pool for the whole block: the lock belongs to its session.
    with engine.connect() as connection:
        deadline = time.monotonic() + wait
        while True:
            got = bool(
                connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
            )
            connection.commit()  # a session lock outlives the transaction that took it
            if got or time.monotonic() >= deadline:
                break
            time.sleep(POLL_SECONDS)
        try:
            yield got
        finally:
            if got:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()


@contextmanager
def _claim(
    engine: Engine, name: str, wait: float, lease: timedelta, clock: Callable[[], datetime]
) -> Iterator[bool]:
    holder = _holder()
    deadline = time.monotonic() + wait
    while True:
        now = clock()
        with engine.begin() as connection:
            connection.execute(
                delete(LockClaim).where(LockClaim.name == name, LockClaim.expires_at < now)
            )
            current = connection.scalar(select(LockClaim.holder).where(LockClaim.name == name))
            if current is not None and _dead(current):
                log.warning("lock %s was held by %s, which is gone: taken over", name, current)
                connection.execute(
                    delete(LockClaim).where(LockClaim.name == name, LockClaim.holder == current)
                )
            inserted = connection.execute(
                dialect_insert(connection)(LockClaim)
                .values(name=name, holder=holder, expires_at=now + lease)
                .on_conflict_do_nothing(index_elements=[LockClaim.name])
            )
            got = inserted.rowcount == 1
        if got or time.monotonic() >= deadline:
            break
        time.sleep(POLL_SECONDS)
    try:
        yield got
    finally:
        if got:
            with engine.begin() as connection:
                connection.execute(
                    delete(LockClaim).where(LockClaim.name == name, LockClaim.holder == holder)
                )


def hold_for_transaction(session: Session, name: str) -> None:
    """Serialize the rest of `session`'s transaction with every other holder of `name`.

    Released by the commit or rollback. Take it before the reads whose answer the writes depend on.
    """
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})
        return
    # SQLite has one write lock for the whole file: take it now (BEGIN IMMEDIATE waits for it up
    # to the busy timeout), so the transaction's reads see every commit made before and no other
    # writer comes in until it ends. pysqlite begins a transaction itself only before its first
    # INSERT, UPDATE or DELETE, which takes the write lock too: then it is held already.
    connection = session.connection()
    if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        connection.exec_driver_sql("BEGIN IMMEDIATE")
