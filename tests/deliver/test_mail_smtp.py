"""Delivery over a real SMTP server on loopback (aiosmtpd), with STARTTLS or TLS and AUTH."""

from __future__ import annotations

import email
from collections.abc import Iterator
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from digest import cli as cli_module
from digest.config import Config
from digest.deliver.mail import smtp_bytes
from digest.deliver.publish import Publishing, publish_due
from digest.store.engine import make_sessionmaker
from digest.store.models import ArticleRow, Delivery, Edition
from tests.support.cli import ckmon
from tests.support.smtpserver import (
    PASSWORD,
    USER,
    Recorder,
    free_port,
    self_signed,
    smtp_server,
    tarpit_smtp,
)
from tests.support.weekdata import NOW, make_config, populate

A, B = "anna@ckmon.test", "bora@ckmon.test"
EVIL_TITLE = "Ring road deal\r\nBcc: victim@evil.test\nX-Injected: yes"


@pytest.fixture
def cert(tmp_path: Path) -> tuple[Path, Path]:
    return self_signed(tmp_path)


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CKMON_SMTP_PASSWORD", PASSWORD)
    yield


def _config(tmp: Path, port: int, cert: Path, security: str = "starttls") -> Config:
    return make_config(
        tmp,
        f"""transport = "smtp"

[smtp]
host = "127.0.0.1"
port = {port}
security = "{security}"
username = "{USER}"
cafile = "{cert}"
timeout = 5
retries = 1
backoff = 0.01
""",
        to=(A, B),
    )


def _store(config: Config, evil: bool = False):
    session = make_sessionmaker(config.store.url)()
    populate(session)
    if evil:  # the top story's title carries line breaks meant to inject headers
        session.execute(update(ArticleRow).where(ArticleRow.id == 1).values(title=EVIL_TITLE))
        session.commit()
    return session


def _deliveries(session) -> dict[str, Delivery]:
    session.expire_all()
    return {d.recipient: d for d in session.scalars(select(Delivery))}


def _edition(session) -> Edition:
    session.expire_all()
    return session.scalars(select(Edition).where(Edition.key == "2026-W48")).one()


def test_starttls_auth_delivers_a_clean_message_to_each_recipient(
    tmp_path: Path, port: int, cert: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(tmp_path, port, cert[0])
    _store(config, evil=True).close()
    monkeypatch.setattr(cli_module, "_now", lambda: NOW)
    runner = CliRunner()
    args = ["--config", str(config.source_path), "digest", "--send"]
    recorder = Recorder()
    with smtp_server(recorder, port, cert):
        first = runner.invoke(cli_module.cli, args)
        assert first.exit_code == 0, first.output
        assert f"sent to {A}" in first.output and f"sent to {B}" in first.output
        second = runner.invoke(cli_module.cli, args)  # a second --send sends nothing
        assert second.exit_code == 0 and "nothing due" in second.output
    assert recorder.logins == 1 and len(recorder.received) == 2  # one connection per run
    assert sorted(r.rcpt_tos[0] for r in recorder.received) == [A, B]
    ids = set()
    for got in recorder.received:
        assert got.mail_from == "digest@ckmon.test"
        msg = email.message_from_bytes(got.data, policy=policy.default)
        assert msg.defects == []
        assert msg.get_content_type() == "multipart/alternative"
        assert msg.get_body(("plain",)) is not None and msg.get_body(("html",)) is not None
        assert "Ring road deal" in msg.get_body(("html",)).get_content()
        assert msg["To"] == got.rcpt_tos[0] and msg["From"] == "ckmon <digest@ckmon.test>"
        subject = msg["Subject"]
        assert subject.startswith("Cambodia–Korea digest 2026-W48: 9 stories — Ring road deal")
        assert msg["Bcc"] is None and msg["X-Injected"] is None
        head = got.data.split(b"\r\n\r\n", 1)[0]
        # The title's words stay inside the (folded) Subject; no line of the head starts a header.
        starts = [line.split(b":", 1)[0] for line in head.split(b"\r\n") if line[:1] not in b" \t"]
        assert b"Bcc" not in starts and b"X-Injected" not in starts
        assert b"Subject" in starts and b"Message-ID" in starts
        assert all(("\r" not in v and "\n" not in v) for _, v in msg.items())
        ids.add(msg["Message-ID"])
        outbox = tmp_path / "outbox" / f"ckmon-2026-W48-{got.rcpt_tos[0]}.eml"
        assert smtp_bytes(outbox.read_bytes()) == got.data.rstrip(b"\r\n") + b"\r\n"
    assert len(ids) == 2


def test_server_down_leaves_the_edition_pending_and_the_next_run_sends_it(
    tmp_path: Path, port: int, cert: tuple[Path, Path]
) -> None:
    config = _config(tmp_path, port, cert[0])
    session = _store(config)
    down = publish_due(session, Publishing.from_config(config), NOW)  # nothing listens on `port`
    assert down is not None and not down.complete and not down.sent
    assert "cannot reach 127.0.0.1" in down.error
    assert sorted(r for r, _ in down.pending) == [A, B]
    assert _edition(session).status == "pending"
    rows = _deliveries(session)
    assert rows[A].attempts == 2 and rows[B].attempts == 0  # the server is down: B not tried
    written = {r: Path(d.outbox_path).read_bytes() for r, d in rows.items()}

    recorder = Recorder()
    with smtp_server(recorder, port, cert):
        later = publish_due(session, Publishing.from_config(config), NOW.replace(hour=2))
        again = publish_due(session, Publishing.from_config(config), NOW.replace(hour=3))
    assert later is not None and later.complete and sorted(later.sent) == [A, B]
    assert again is None
    assert _edition(session).status == "sent" and len(recorder.received) == 2
    for got in recorder.received:  # the copy written before the failure is what went out
        assert got.data.rstrip(b"\r\n") + b"\r\n" == smtp_bytes(written[got.rcpt_tos[0]])
    session.close()


def test_a_refused_recipient_is_the_only_one_retried(
    tmp_path: Path, port: int, cert: tuple[Path, Path]
) -> None:
    config = _config(tmp_path, port, cert[0])
    session = _store(config)
    recorder = Recorder(refuse={B: "450 4.2.1 Mailbox busy, try later"})
    with smtp_server(recorder, port, cert):
        first = publish_due(session, Publishing.from_config(config), NOW)
        assert first is not None and first.sent == [A]
        assert first.pending == [(B, "450 4.2.1 Mailbox busy, try later")]
        assert _edition(session).status == "pending"
        assert _deliveries(session)[B].attempts == 2  # one retry after a backoff in the run
        assert _deliveries(session)[B].smtp_code == 450
        recorder.refuse.clear()
        second = publish_due(session, Publishing.from_config(config), NOW.replace(hour=4))
    assert second is not None and second.sent == [B] and second.complete
    assert [r.rcpt_tos for r in recorder.received] == [[A], [B]]
    assert _edition(session).status == "sent"
    session.close()


def test_a_permanent_refusal_is_recorded_reported_and_not_retried(
    tmp_path: Path, port: int, cert: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(tmp_path, port, cert[0])
    _store(config).close()
    monkeypatch.setattr(cli_module, "_now", lambda: NOW)
    recorder = Recorder(refuse={B: "550 5.1.1 No such user"})
    args = ["--config", str(config.source_path), "digest", "--send"]
    with smtp_server(recorder, port, cert):
        result = CliRunner().invoke(cli_module.cli, args)
        assert result.exit_code == 5, result.output
        assert f"to {B}: FAILED permanently: 550 5.1.1 No such user" in result.output
        again = CliRunner().invoke(cli_module.cli, args)
        assert again.exit_code == 0 and "nothing due" in again.output
    assert [r.rcpt_tos for r in recorder.received] == [[A]]
    with make_sessionmaker(config.store.url)() as session:
        rows = _deliveries(session)
        assert rows[B].status == "failed" and rows[B].attempts == 1 and rows[B].smtp_code == 550
        assert _edition(session).status == "sent"  # closed: never mailed again to anyone


# aiosmtpd warns about AUTH without STARTTLS even when the whole connection is TLS (port 465 style).
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_implicit_tls_and_a_refused_login(
    tmp_path: Path, port: int, cert: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(tmp_path, port, cert[0], security="ssl")
    session = _store(config)
    recorder = Recorder()
    with smtp_server(recorder, port, cert, mode="ssl"):
        monkeypatch.setenv("CKMON_SMTP_PASSWORD", "wrong")
        from digest.config import load_config

        wrong = load_config(config.source_path)
        refused = publish_due(session, Publishing.from_config(wrong), NOW)
        assert refused is not None and "refused the login" in refused.error
        assert _edition(session).status == "pending" and not recorder.received
        sent = publish_due(session, Publishing.from_config(config), NOW.replace(hour=5))
    assert sent is not None and sent.complete and len(recorder.received) == 2
    session.close()


@pytest.mark.parametrize("stage", ["greeting", "ehlo"])
def test_a_server_that_drips_its_replies_is_given_up_at_the_deadline(
    tmp_path: Path, stage: str
) -> None:
    # A tarpit: one line every 0.2 s, never the last one. Each read gets its bytes well within
    # the 2 s timeout, so only a deadline on the whole message ends the attempt.
    timeout, margin = 2.0, 3.0
    with tarpit_smtp(0.2, stage=stage) as tarpit:
        config = make_config(
            tmp_path,
            f'transport = "smtp"\n\n[smtp]\nhost = "127.0.0.1"\nport = {tarpit.port}\n'
            f'security = "none"\ntimeout = {timeout}\nretries = 1\nbackoff = 0.01\n',
            to=(A,),
        )
        result = ckmon(config.source_path, "digest", "--send", timeout=60)
    assert result.returncode == 5, result.stderr  # pending: retried on the next run
    assert "Traceback" not in result.stdout + result.stderr
    why = [line for line in result.stderr.splitlines() if f"to {A}: PENDING" in line]
    assert len(why) == 1, result.stderr
    assert f"did not finish within {timeout:g} s" in why[0] and "[smtp] timeout" in why[0]
    assert len(tarpit.connections) == 2  # the attempt and its one retry
    for drip in tarpit.connections:
        assert drip.hung_up is not None
        assert len(drip.sent) >= 3  # still dripping when the client gave up
        # The deadline runs from just before connecting, a little before the server's accept.
        assert timeout - 0.5 <= drip.hung_up - drip.accepted <= timeout + margin
