"""Database locks on both back ends, and one edition however many schedulers publish at once."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from digest.config import load_config
from digest.deliver.publish import Published, Publishing
from digest.deliver.publish_locked import publish_due_locked
from digest.store.claims import held, hold_for_transaction
from digest.store.engine import create_store_engine, make_engine, make_sessionmaker
from digest.store.models import Delivery, Edition, Outlet
from tests.support.children import Children
from tests.support.smtpserver import PASSWORD, USER, Recorder, free_port, self_signed, smtp_server
from tests.support.threads import run_together
from tests.support.weekdata import make_config

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 08:00 in Phnom Penh: the edition is due


def test_a_held_lock_is_refused_to_others_until_released(store_url: str) -> None:
    first, second = create_store_engine(store_url), create_store_engine(store_url)
    with held(first, "job") as mine:
        assert mine
        with held(second, "job") as theirs:
            assert not theirs
        with held(second, "another job") as other:
            assert other  # locks are per name
    with held(second, "job") as now_theirs:
        assert now_theirs
    first.dispose()
    second.dispose()


def test_a_crashed_holders_claim_expires(tmp_path: Path) -> None:
    """SQLite claims carry a lease; PostgreSQL's advisory locks end with the connection."""
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    stale = held(engine, "job", lease=timedelta(minutes=30), clock=lambda: T0)
    assert stale.__enter__()  # taken, never released: the holder died
    with held(engine, "job", clock=lambda: T0 + timedelta(minutes=10)) as early:
        assert not early
    with held(engine, "job", clock=lambda: T0 + timedelta(minutes=31)) as late:
        assert late


def test_a_transaction_lock_waits_for_the_holders_commit(store_url: str) -> None:
    holder_engine, waiter_engine = create_store_engine(store_url), create_store_engine(store_url)
    holder = sessionmaker(holder_engine)()
    hold_for_transaction(holder, "clusters")
    acquired = threading.Event()

    def waiter() -> None:
        with sessionmaker(waiter_engine)() as session:
            hold_for_transaction(session, "clusters")
            acquired.set()
            session.commit()

    thread = threading.Thread(target=waiter)
    thread.start()
    assert not acquired.wait(0.5)  # blocked while the holder's transaction is open
    holder.commit()
    assert acquired.wait(10)
    thread.join(10)
    holder.close()
    holder_engine.dispose()
    waiter_engine.dispose()


def test_a_transaction_lock_taken_after_a_write_keeps_that_write(tmp_path: Path) -> None:
    """On SQLite a first write already holds the write lock: taking the lock after it must neither
    fail nor end the transaction."""
    sessions = make_sessionmaker(f"sqlite:///{tmp_path / 'store.sqlite'}")
    with sessions() as session:
        session.add(Outlet(name="gazette", title="Gazette", lang="en"))
        session.flush()
        hold_for_transaction(session, "clusters")
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Outlet)) == 0  # one transaction
        hold_for_transaction(session, "clusters")  # a new one, locked before any write
        session.add(Outlet(name="gazette", title="Gazette", lang="en"))
        session.commit()
        assert session.scalar(select(func.count()).select_from(Outlet)) == 1


def test_two_schedulers_due_at_once_make_one_edition_sent_once(
    store_url: str, tmp_path: Path
) -> None:
    loaded = load_config(cwd=tmp_path)
    config = replace(
        loaded,
        store=loaded.store.model_copy(update={"url": store_url}),
        mail=loaded.mail.model_copy(update={"to": ("desk@example.org", "editor@example.org")}),
    )
    make_sessionmaker(store_url)  # the schema, before the race
    outcomes: list[Published | None] = []

    def scheduler(_: int, start: threading.Barrier) -> None:
        engine = create_store_engine(store_url)  # each scheduler its own connections
        with sessionmaker(engine, expire_on_commit=False)() as session:
            start.wait()
            outcomes.append(publish_due_locked(session, Publishing.from_config(config), T0))
        engine.dispose()

    run_together(2, scheduler)
    published = [o for o in outcomes if o is not None]
    assert len(outcomes) == 2 and len(published) == 1
    with make_sessionmaker(store_url)() as session:
        assert session.scalar(select(func.count()).select_from(Edition)) == 1
        deliveries = session.scalars(select(Delivery)).all()
    assert sorted(d.recipient for d in deliveries) == ["desk@example.org", "editor@example.org"]
    assert all(d.status == "sent" and d.attempts == 1 for d in deliveries)
    # A third scheduler an hour later finds the week's edition sent.
    with make_sessionmaker(store_url)() as session:
        assert (
            publish_due_locked(session, Publishing.from_config(config), T0 + timedelta(hours=1))
            is None
        )


def test_two_scheduler_processes_send_the_edition_once(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, children: Children
) -> None:
    """Two `ckmon digest --send` processes started together on one store, mailing through a real
    SMTP server: one edition, and each recipient gets one message."""
    cert, port, recorder = self_signed(tmp_path), free_port(), Recorder()
    monkeypatch.setenv("CKMON_SMTP_PASSWORD", PASSWORD)  # the children inherit it
    make_config(
        tmp_path,
        f'transport = "smtp"\n\n[smtp]\nhost = "127.0.0.1"\nport = {port}\n'
        f'username = "{USER}"\ncafile = "{cert[0]}"\ntimeout = 5\n\n[store]\nurl = "{store_url}"\n',
        to=("desk@example.org", "editor@example.org"),
    )
    make_sessionmaker(store_url)  # the schema, before the race
    with smtp_server(recorder, port, cert):
        schedulers = [children.ckmon(tmp_path / "ckmon.toml", "digest", "--send") for _ in range(2)]
        outputs = [scheduler.communicate(timeout=120) for scheduler in schedulers]
    for scheduler, (out, err) in zip(schedulers, outputs, strict=True):
        assert scheduler.returncode == 0, out + err[-3000:]
    assert sorted("nothing due" in out for out, _ in outputs) == [False, True], outputs
    recipients = sorted(rcpt for message in recorder.received for rcpt in message.rcpt_tos)
    assert recipients == ["desk@example.org", "editor@example.org"]  # one message each
    with make_sessionmaker(store_url)() as session:
        assert session.scalar(select(func.count()).select_from(Edition)) == 1
        deliveries = session.scalars(select(Delivery)).all()
    assert all(d.status == "sent" and d.attempts == 1 for d in deliveries), deliveries
