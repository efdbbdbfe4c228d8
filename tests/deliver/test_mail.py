"""The message itself: headers from config, clean of scraped line breaks, deterministic bytes."""

from __future__ import annotations

import email
import re
from dataclasses import replace
from email import policy
from pathlib import Path

from sqlalchemy import select, update

from digest.deliver.mail import compose, default_list_id, message_id, smtp_bytes, subject
from digest.deliver.publish import Publishing, publish_due, write_edition, write_preview
from digest.store.engine import make_sessionmaker
from digest.store.instance import instance_id
from digest.store.models import ArticleRow, Delivery, Setting
from tests.support.weekdata import NOW, make_config, store

EVIL = "Seoul & Phnom Penh agree\r\nBcc: victim@evil.test\r\n\r\n<b>body</b>"


def _compose(**changes: object) -> email.message.EmailMessage:
    fields: dict[str, object] = {
        "edition_key": "2026-W48",
        "stories": 3,
        "html": "<p>한국 ខ្មែរ</p>",
        "text": "한국 ខ្មែរ",
        "sender": "ckmon <digest@ckmon.test>",
        "recipient": "desk@ckmon.test",
        "date": NOW,
    }
    fields.update(changes)
    return compose(**fields)  # type: ignore[arg-type]


def test_one_multipart_alternative_message_with_both_parts() -> None:
    msg = email.message_from_bytes(_compose().as_bytes(), policy=policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert "ខ្មែរ" in msg.get_body(("plain",)).get_content()
    assert msg.get_body(("html",)).get_content().startswith("<p>한국")
    assert not any(p.get_filename() for p in msg.walk())  # no attachments
    assert msg["Subject"] == "Cambodia–Korea digest 2026-W48: 3 stories"
    assert _compose().as_bytes().isascii()  # 7-bit: any server takes it


def test_same_edition_and_recipient_give_the_same_bytes() -> None:
    assert _compose().as_bytes() == _compose().as_bytes()
    other = _compose(recipient="other@ckmon.test")
    assert other["Message-ID"] != _compose()["Message-ID"]
    assert _compose()["Message-ID"] == message_id("2026-W48", "DESK@ckmon.test", "ckmon.test")


def test_headers_from_config_and_optional_ones() -> None:
    plain = _compose()
    assert plain["Reply-To"] is None and plain["List-Unsubscribe"] is None
    full = _compose(
        reply_to="Desk <editor@ckmon.test>",
        list_unsubscribe="https://ckmon.test/unsubscribe?u=desk",
    )
    assert full["Reply-To"] == "Desk <editor@ckmon.test>"
    assert full["List-Unsubscribe"] == "<https://ckmon.test/unsubscribe?u=desk>"
    assert full["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"  # RFC 8058, https only
    by_mail = _compose(list_unsubscribe="mailto:leave@ckmon.test")
    assert by_mail["List-Unsubscribe"] == "<mailto:leave@ckmon.test>"
    assert by_mail["List-Unsubscribe-Post"] is None and plain["List-Unsubscribe-Post"] is None
    assert full["From"].addresses[0].addr_spec == "digest@ckmon.test"


def test_scraped_headline_reaches_the_subject_cleaned() -> None:
    msg = _compose(headline=EVIL)
    raw = msg.as_bytes()
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None and b"\nBcc:" not in raw
    assert parsed["Subject"].startswith("Cambodia–Korea digest 2026-W48: 3 stories — Seoul")
    assert "\r" not in parsed["Subject"] and "\n" not in parsed["Subject"]
    long = subject("2026-W48", 1, "word " * 40)
    assert long.endswith("…") and len(long) < 130 and "1 story" in long


def test_outbox_copy_is_written_before_sending_and_is_what_goes_out(tmp_path: Path) -> None:
    config = make_config(tmp_path, to=("a@ckmon.test", "b@ckmon.test"))
    with store(config) as session:
        session.execute(update(ArticleRow).where(ArticleRow.id == 1).values(title=EVIL))
        session.commit()
        _, published = write_edition(session, Publishing.from_config(config), NOW)
        rows = session.scalars(select(Delivery).order_by(Delivery.recipient)).all()
    assert [r.status for r in rows] == ["pending", "pending"]  # written, not yet delivered
    assert [Path(r.outbox_path) for r in rows] == published.paths
    for path, row in zip(published.paths, rows, strict=True):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert msg["Message-ID"] == row.message_id and msg["To"] == row.recipient
        assert msg["Bcc"] is None and "Seoul &amp; Phnom Penh agree" in (
            msg.get_body(("html",)).get_content()
        )
    assert smtp_bytes(b"a\nb\r\nc\n") == b"a\r\nb\r\nc\r\n"
    assert (tmp_path / "archive" / "editions.atom").is_file() and published.page.is_file()


def test_outbox_transport_delivers_by_writing(tmp_path: Path) -> None:
    config = make_config(tmp_path, to=())
    with store(config) as session:
        published = publish_due(session, Publishing.from_config(config), NOW)
        assert published is not None and published.complete and published.sent == ["outbox"]
        assert published.paths == [tmp_path / "outbox" / "ckmon-2026-W48.eml"]
        assert publish_due(session, Publishing.from_config(config), NOW) is None


def test_atom_feed_lists_the_editions(tmp_path: Path) -> None:
    import feedparser

    config = make_config(tmp_path, '\n[digest]\narchive_url = "https://d.test/archive"\n')
    with store(config) as session:
        publish_due(session, Publishing.from_config(config), NOW)
    feed = feedparser.parse((tmp_path / "archive" / "editions.atom").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    titles = [e.title for e in feed.entries]
    assert titles == ["Week 2026-W48: 9 stories", "Week 2026-W47: 3 stories"]
    assert feed.entries[0].link == "https://d.test/archive/ckmon-2026-W48.html"
    assert (tmp_path / "archive" / "ckmon-2026-W48.html").is_file()


def test_every_recipient_has_an_outbox_file_of_its_own(tmp_path: Path) -> None:
    # Addresses that one character map once folded into one file name (`a_b@…`), so the last
    # written overwrote the others and `a+b@` was sent the message addressed to `a_b@`; `a~b@`
    # carries the mark the hashed names use. (Addresses that differ only in case are one
    # recipient: ckmon.toml refuses them.)
    recipients = (
        "a_b@ckmon.test",
        "a+b@ckmon.test",
        "a/b@ckmon.test",
        "a=b@ckmon.test",
        "a~b@ckmon.test",
        "a.b@ckmon.test",
    )
    config = make_config(tmp_path, to=recipients)
    with store(config) as session:
        published = publish_due(session, Publishing.from_config(config), NOW)
        assert published is not None and published.complete
        assert sorted(published.sent) == sorted(recipients)
        rows = {r.recipient: Path(r.outbox_path) for r in session.scalars(select(Delivery))}
    names = {path.name.lower() for path in rows.values()}
    assert len(names) == len(recipients)  # distinct even where case is not told apart
    assert sorted((tmp_path / "outbox").iterdir()) == sorted(rows.values())
    for recipient, path in rows.items():
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert msg["To"] == recipient
    # A plain address keeps the name it always had.
    assert rows["a_b@ckmon.test"].name == "ckmon-2026-W48-a_b@ckmon.test.eml"
    assert rows["a.b@ckmon.test"].name == "ckmon-2026-W48-a.b@ckmon.test.eml"


def test_the_archive_is_readable_by_all_and_has_an_index(tmp_path: Path) -> None:
    """The README says to publish the archive folder: a web server's user must read its files;
    the outbox, holding the readers' addresses, stays the owner's."""
    from lxml import html as lxml_html

    config = make_config(tmp_path, '\n[digest]\narchive_url = "https://d.test/archive"\n')
    with store(config) as session:
        published = publish_due(session, Publishing.from_config(config), NOW)
    assert published is not None
    archive = tmp_path / "archive"
    written = sorted(p.name for p in archive.iterdir())
    assert written == ["ckmon-2026-W48.html", "editions.atom", "index.html"]
    for path in archive.iterdir():
        assert path.stat().st_mode & 0o777 == 0o644, path
    assert published.paths[0].stat().st_mode & 0o777 == 0o600
    index = lxml_html.fromstring((archive / "index.html").read_bytes())
    links = [(a.get("href"), a.text_content()) for a in index.iter("a")]
    # The previous week's page was written by another run: both are listed, newest first.
    assert ("ckmon-2026-W48.html", "Week 2026-W48") in links
    assert links.index(("ckmon-2026-W48.html", "Week 2026-W48")) < links.index(
        ("ckmon-2026-W47.html", "Week 2026-W47")
    )
    assert "9 stories" in index.text_content() and "16 Nov 2026 to 23 Nov 2026" in (
        index.text_content()
    )


def _edition_message(folder: Path, sender: str = "") -> email.message.EmailMessage:
    folder.mkdir(exist_ok=True)
    config = make_config(folder)
    if sender:
        config = replace(config, mail=config.mail.model_copy(update={"sender": sender}))
    with store(config) as session:
        _, published = write_edition(session, Publishing.from_config(config), NOW)
    return email.message_from_bytes(published.paths[0].read_bytes(), policy=policy.default)


def test_message_ids_are_unique_per_installation_and_stable_within_one(tmp_path: Path) -> None:
    """Two stores (the demo's, a test folder, the real one) never share a Message-ID, which mail
    clients would take for one message; one store gives the same id (and bytes) every time."""
    first, second = _edition_message(tmp_path / "a"), _edition_message(tmp_path / "b")
    assert first["Subject"] == second["Subject"] and first["To"] == second["To"]
    assert first["Message-ID"] != second["Message-ID"]
    assert first["Message-ID"].startswith("<ckmon.2026-W48.")
    assert first["Message-ID"].endswith("@ckmon.test>")  # the `from` address's domain

    config = make_config(tmp_path / "a")
    with make_sessionmaker(config.store.url)() as session:
        kept = instance_id(session)
        assert re.fullmatch(r"[0-9a-f]{32}", kept)
        (delivery,) = session.scalars(select(Delivery)).all()
        outbox = Path(delivery.outbox_path)
        before = outbox.read_bytes()
        outbox.unlink()  # lost: written again, byte for byte, with the same Message-ID
        _, published = write_edition(session, Publishing.from_config(config), NOW)
        assert published.paths[0].read_bytes() == before and instance_id(session) == kept
        assert delivery.message_id == first["Message-ID"]


def test_a_fresh_store_has_its_instance_id_before_any_mail(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with make_sessionmaker(config.store.url)() as session:
        made = session.scalars(select(Setting)).all()
    assert [s.name for s in made] == ["instance_id"] and len(made[0].value) == 32


def test_a_preview_has_its_own_message_id(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with store(config) as session:
        preview = write_preview(session, Publishing.from_config(config), NOW)
        _, published = write_edition(session, Publishing.from_config(config), NOW)
    seen = email.message_from_bytes(preview.eml.read_bytes(), policy=policy.default)
    sent = email.message_from_bytes(published.paths[0].read_bytes(), policy=policy.default)
    assert seen["To"] == sent["To"] and seen["Subject"] == sent["Subject"]
    assert seen["Message-ID"] != sent["Message-ID"]
    assert seen["Message-ID"].startswith("<ckmon.2026-W48.preview.")


def test_list_id_by_default(tmp_path: Path) -> None:
    """RFC 2919: readers filter the digest by it; named by the `from` domain, or under the
    unmanaged `localhost` namespace by the installation when the sender is the default."""
    named = _edition_message(tmp_path / "named")
    assert named["List-Id"] == "Cambodia-Korea media digest <ckmon.ckmon.test>"
    local = _edition_message(tmp_path / "local", "ckmon <ckmon@localhost>")
    with make_sessionmaker(make_config(tmp_path / "local").store.url)() as session:
        label = f"ckmon-{instance_id(session)[:12]}"
    assert local["List-Id"] == f"Cambodia-Korea media digest <{label}.localhost>"
    assert default_list_id("", "") == "Cambodia-Korea media digest <ckmon.localhost>"
