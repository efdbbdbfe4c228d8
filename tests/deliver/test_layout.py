"""The digest fits a phone (375 px) and a mail pane (800 px) without sideways scrolling, drawn by a
real browser: the archive page, the mail's HTML part and the archive's index, on a heavy week and on
a first offline run.
"""

from __future__ import annotations

import email
from collections.abc import Callable
from datetime import timedelta
from email import policy
from pathlib import Path

from sqlalchemy.orm import Session

from digest.config import Config
from digest.deliver.publish import Published, Publishing, write_edition
from digest.fetch.sources import load_sources
from digest.store.engine import get_outlet, make_sessionmaker
from digest.store.models import ArticleRow, CrawlRun
from tests.support.browser import Layout, layouts
from tests.support.weekdata import NOW, PREVIOUS_CUTOFF, make_config, populate

WIDTHS = (375, 800)  # a phone, a mail client's reading pane

# Text written for these tests: a long run of Khmer (no spaces, as Khmer is written), Korean with
# its long compounds, a URL shown as a title (a page that had none), names without a space.
KHMER = "កិច្ចព្រមព្រៀងពាណិជ្ជកម្មសេរីរវាងកម្ពុជានិងសាធារណរដ្ឋកូរ៉េ" * 3
KHMER_LEAD = "ក្រសួងពាណិជ្ជកម្មបានប្រកាសថាការនាំចេញទៅកូរ៉េកើនឡើង។ " * 5
KOREAN = (
    "한국캄보디아경제협력강화방안논의를위한고위급회담개최 캄보디아 정부와 한국 정부가 프놈펜에서"
)
KOREAN_LEAD = (
    "한국과 캄보디아가 프놈펜에서 자유무역협정개정안에 서명했다. 의류와 농산물 관세가 낮아진다. "
    * 3
)
LONG_URL = (
    "https://www.an-outlet-with-a-long-name.example/news/2026/11/20/"
    + "-".join(["cambodia-south-korea-sign-memorandum-on-labour-migration-and-skills"] * 4)
    + "?utm_source=feed&id="
    + "8" * 40
)
LONG_OUTLETS = (
    (
        "longname",
        "The Regional Broadcasting Corporation of Northern Cambodia (Khmer Service)",
        "km",
    ),
    ("nospace", "KoreaCambodiaBusinessAndInvestmentDailyNewsNetworkOnlineEdition", "en"),
    ("hanin_long", "재캄보디아한인회소식지온라인판프놈펜지국특별취재팀", "ko"),
)
TOPICS = ["diplomacy", "trade-investment", "labour-migration", "scams-crime", "health",
          "aid-development", "education-culture", "tourism-transport", "security-defence"]  # fmt: skip
# What a crawl records for a name that does not resolve (about 800 characters).
DNS_ERROR = (
    "{url}: DNS lookup failed: no results for hostname lookup: {host}. "
    "[Failure instance: Traceback (failure with no frames): "
    "<class 'twisted.internet.error.DNSLookupError'>: DNS lookup failed: no results for hostname "
    "lookup: {host}.\n] " * 3
)


def _article(session: Session, outlet: str, i: int, title: str, lead: str, lang: str,
             cluster: int | None = None, url: str = "") -> ArticleRow:  # fmt: skip
    seen = PREVIOUS_CUTOFF + timedelta(minutes=30 * i + 1)
    row = ArticleRow(
        canonical_url=f"https://{outlet}.test/heavy/{i}",
        url=url or f"https://{outlet}.test/news/2026/11/{i:04d}-" + "long-slug-" * 12,
        outlet_id=get_outlet(session, outlet).id,
        title=title,
        text=lead,
        lead=lead,
        lang=lang,
        published_at=seen - timedelta(hours=3),
        first_seen_at=seen,
        relevant=True,
        topics=[TOPICS[i % len(TOPICS)], TOPICS[(i + 3) % len(TOPICS)]],
    )
    session.add(row)
    session.flush()
    row.cluster_id = cluster or row.id
    return row


def _failed_run(session: Session, outlet: str, error: str, when_days: float = 3) -> None:
    session.add(
        CrawlRun(
            outlet_id=get_outlet(session, outlet).id,
            started_at=PREVIOUS_CUTOFF + timedelta(days=when_days),
            finished_at=PREVIOUS_CUTOFF + timedelta(days=when_days),
            status="failed",
            error=error,
        )
    )


def _heavy_week(session: Session) -> None:
    """The fixed week plus 120 stories in three languages, long names, links and errors."""
    populate(session)
    for name, title, lang in LONG_OUTLETS:
        get_outlet(session, name, title, lang)
    for i in range(120):
        outlet, _, lang = LONG_OUTLETS[i % 3]
        if lang == "km":
            title, lead = f"{KHMER} {i}", KHMER_LEAD
        elif lang == "ko":
            title, lead = f"{KOREAN} {i}", KOREAN_LEAD
        else:
            title, lead = f"{LONG_URL}#{i}", "A lead with a long address " + LONG_URL
        row = _article(session, outlet, i, title, lead, lang, url=LONG_URL if i % 7 == 0 else "")
        if i % 4 == 0:  # also in the other two outlets, in their languages
            for j, (other, _, other_lang) in enumerate(LONG_OUTLETS):
                if other != outlet:
                    _article(session, other, 1000 + 10 * i + j, f"{KHMER}{KOREAN}{i}", KOREAN_LEAD,
                             other_lang, cluster=row.cluster_id)  # fmt: skip
    for name, title, lang in (
        ("deadwire", "Dead Wire Agency of the Kingdom (English, Khmer and Korean services)", "en"),
        ("noisyweb", "NoisyWebPortalWithAVeryLongNameAndNoSpacesAtAll", "ko"),
    ):
        get_outlet(session, name, title, lang)
    host = "www." + "very-long-subdomain-" * 4 + "example.invalid"
    _failed_run(session, "deadwire", DNS_ERROR.format(url=f"https://{host}/rss", host=host))
    _failed_run(session, "noisyweb", "Unexpected:" + "x" * 400)  # no rule names it: clipped
    session.commit()


def _offline_first_week(session: Session) -> None:
    """A fresh store after an offline first run: every shipped outlet failed to resolve."""
    sources = load_sources()
    assert len(sources) >= 28
    for name, source in sources.items():
        get_outlet(session, name, source.title, source.lang)
        url = (source.feeds or source.sitemaps or (source.home,))[0]
        host = url.split("/")[2]
        _failed_run(session, name, DNS_ERROR.format(url=url, host=host), when_days=6.9)
    session.commit()


def _documents(published: Published) -> dict[str, str]:
    message = email.message_from_bytes(published.paths[0].read_bytes(), policy=policy.default)
    return {
        "page": published.page.read_text(encoding="utf-8"),
        "mail": message.get_body(("html",)).get_content(),
        "index": (published.page.parent / "index.html").read_text(encoding="utf-8"),
    }


def _assert_fits(found: dict[str, Layout]) -> None:
    for name, layout in found.items():
        width = int(name.partition("@")[2])
        assert layout.viewport == width, f"{name}: drawn {layout.viewport} px wide"
        assert layout.scroll == width and layout.right <= width, (
            f"{name}: {layout.scroll} px of content in a {width} px viewport; the widest element "
            f"ends at {layout.right} px: {layout.widest}"
        )
        assert not layout.split_korean, f"{name}: Korean words broken inside: {layout.split_korean}"


def _published(tmp_path: Path, fill: Callable[[Session], None]) -> tuple[Config, Published]:
    config = make_config(tmp_path, '[digest]\narchive_url = "https://digest.ckmon.test/archive/"\n')
    with make_sessionmaker(config.store.url)() as session:
        fill(session)
        _, published = write_edition(session, Publishing.from_config(config), NOW)
    return config, published


def test_a_heavy_week_fits_a_phone_and_a_mail_pane(tmp_path: Path) -> None:
    _, published = _published(tmp_path, _heavy_week)
    documents = _documents(published)
    assert published.stories > 100 and published.shortened  # the page holds all, the mail fewer
    for part in (documents["page"], documents["mail"]):
        assert KHMER[:40] in part and KOREAN[:20] in part and "NoisyWebPortal" in part
        assert "KoreaCambodiaBusinessAndInvestmentDailyNewsNetworkOnlineEdition" in part
    _assert_fits(layouts(tmp_path, documents, WIDTHS))


def test_the_first_offline_edition_fits_a_phone_and_a_mail_pane(tmp_path: Path) -> None:
    _, published = _published(tmp_path, _offline_first_week)
    documents = _documents(published)
    assert published.stories == 0
    for part in (documents["page"], documents["mail"]):
        assert part.count("name did not resolve") >= 28
    _assert_fits(layouts(tmp_path, documents, WIDTHS))
