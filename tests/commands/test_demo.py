"""`ckmon demo`: the whole path offline on the bundled sample site, apart from real runs."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from tests.support.cli import ckmon


def _part(message: Message, kind: str) -> str:
    for part in message.walk():
        if part.get_content_type() == kind:
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError(f"no {kind} part")


def test_demo_writes_a_sample_digest_without_touching_real_editions(tmp_path: Path) -> None:
    config = tmp_path / "ckmon.toml"
    config.write_text("", encoding="utf-8")  # embedded defaults, as a new user has them
    real = {
        tmp_path / "outbox" / "ckmon-real.eml": b"a real edition, already delivered\n",
        tmp_path / "archive" / "ckmon-real.html": b"<p>a real archive page</p>\n",
    }
    for path, content in real.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}

    ran = ckmon(config, "demo", timeout=180)

    assert ran.returncode == 0, ran.stdout + ran.stderr
    # Nothing of the user's changed: real editions are named by week like the sample one.
    assert {p: p.read_bytes() for p in before} == before
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == ["ckmon-real.eml"]
    assert sorted(p.name for p in (tmp_path / "archive").iterdir()) == ["ckmon-real.html"]
    (eml,) = (tmp_path / "demo" / "outbox").glob("ckmon-*.eml")
    (page,) = (tmp_path / "demo" / "archive").glob("ckmon-*.html")
    assert str(eml) in ran.stdout and str(page) in ran.stdout

    message = email.message_from_bytes(eml.read_bytes())
    assert message.get_content_type() == "multipart/alternative"
    decoded = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert decoded["Subject"].startswith("[sample] Cambodia–Korea digest ")
    text, html = _part(message, "text/plain"), _part(message, "text/html")
    for shown in (text, html):
        # one story per language, the syndicated copy merged, the Cambodia-only story left out
        assert "Cambodia and South Korea sign loan for Phnom Penh ring road" in shown
        assert "캄보디아 취업사기 피해 한국인 12명 구출" in shown
        assert "ពលករកម្ពុជា ៥០០ នាក់" in shown
        assert "Korea extends loan to Cambodia" not in shown  # a copy: "also in", not a story
        assert "Cambodian rice exports to Europe rise" not in shown
        assert "utm_" not in shown  # links without the feed's tracking parameters
    assert "Also in" in text and "wire-ring-road.html" in text
    assert "4 stories" in text

    # The demo's server is gone once it ends: the links open copies of its sample pages, and the
    # page says so. Nothing points at the loopback port any more.
    samples = tmp_path / "demo" / "samples"
    page_html = page.read_text(encoding="utf-8")
    for shown in (text, html, page_html):
        assert "127.0.0.1" not in shown and "A sample edition from ckmon demo" in shown
    links = set(re.findall(r'href="(file:[^"]+)"', page_html))
    assert f"{samples.as_uri()}/scam-rescue.html" in links and len(links) >= 5
    for link in links:
        copy = Path(url2pathname(urlsplit(link).path))
        assert copy.parent == samples and copy.is_file(), link
        assert "SAMPLE CONTENT" in copy.read_text(encoding="utf-8")
