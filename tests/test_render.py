from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from digest.edition import EditionView, Item, Story
from digest.mail import compose, header_safe
from digest.render import render

TZ = ZoneInfo("Asia/Phnom_Penh")
NOW = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


def _item(title: str, outlet: str, lang: str = "en") -> Item:
    return Item(title, "https://news.test/a", outlet, lang, NOW, "A lead sentence.", ["diplomacy"])


def _view(stories: list[Story]) -> EditionView:
    return EditionView(
        key="2026-W48",
        since=None,
        until=NOW,
        timezone=TZ,
        top=stories,
        sections={},
        by_topic={"diplomacy": len(stories)},
        by_lang={"en": len(stories)},
        failed_outlets=[("Dead Daily", "DNS lookup failed")],
    )


def test_html_and_text_show_the_stories() -> None:
    view = _view(
        [Story(_item("Ministers meet", "Khmer Times"), [_item("Ministers meet", "Yonhap", "ko")])]
    )
    html, text = render(view, generated=NOW)
    for part in (html, text):
        assert "Ministers meet" in part and "Khmer Times" in part and "Dead Daily" in part
    assert "Also in" in html and "Yonhap" in html
    assert "<style" not in html  # CSS is inlined for mail clients
    assert 'style="' in html


def test_scraped_text_is_escaped() -> None:
    view = _view([Story(_item('<script>alert(1)</script><img src=x onerror="y">', "Evil"))])
    html, _ = render(view, generated=NOW)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html


def test_empty_week_says_so() -> None:
    html, text = render(_view([]), generated=NOW)
    assert "No relevant coverage" in html and "No relevant coverage" in text


def test_headers_never_carry_raw_line_breaks() -> None:
    assert header_safe("a\r\nBcc: x@y\n") == "a Bcc: x@y"
    msg = compose(
        edition_key="2026-W48\r\nBcc: evil@x",
        stories=2,
        html="<p>x</p>",
        text="x",
        sender="ckmon <ckmon@example.org>",
        recipient="reader@example.org",
        date=NOW,
    )
    raw = msg.as_string()
    assert "\nBcc:" not in raw
    assert (
        msg["Message-ID"]
        == compose(
            edition_key="2026-W48\r\nBcc: evil@x",
            stories=2,
            html="",
            text="",
            sender="ckmon <ckmon@example.org>",
            recipient="reader@example.org",
            date=NOW,
        )["Message-ID"]
    )
