"""A fixed week in a real SQLite store, for edition, render, golden and mail tests.

Frozen clock: the edition is cut on Monday 23 Nov 2026, 07:30 in Phnom Penh (ISO week 2026-W48);
the previous edition was sent a week earlier. The sample text is written for these tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from digest.config import Config, load_config
from digest.store.engine import get_outlet, make_sessionmaker
from digest.store.models import ArticleRow, CrawlRun, Edition

NOW = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)  # Mon 07:30 Asia/Phnom_Penh, 2026-W48
PREVIOUS_CUTOFF = NOW - timedelta(days=7)
DAY = timedelta(days=1)

OUTLETS = {
    "khmertimes": ("Khmer Times", "en"),
    "yonhap": ("Yonhap", "ko"),
    "postkhmer": ("Post Khmer", "km"),
    "koreaherald": ("The Korea Herald", "en"),
    "hanin": ("한인일보", "ko"),
    "deaddaily": ("Dead Daily", "en"),
    "quietpost": ("Quiet Post", "en"),
}

# (outlet, title, lead, topics, cluster label, days after the previous cutoff, lang)
ARTICLES = [
    (
        "khmertimes",
        "Cambodia and South Korea sign upgraded trade pact",
        "Cambodia and South Korea signed an upgraded free trade agreement in Phnom Penh on Tuesday. "
        "The deal cuts tariffs on garments and farm goods. Officials expect trade to double by 2030. "
        "A fourth sentence that the lead leaves out.",
        ["trade-investment", "diplomacy"],
        "fta",
        1,
        "en",
    ),
    (
        "yonhap",
        "한-캄보디아 FTA 개정 서명…관세 인하 확대",
        "한국과 캄보디아가 프놈펜에서 자유무역협정 개정안에 서명했다. 의류와 농산물 관세가 낮아진다.",
        ["trade-investment"],
        "fta",
        1.2,
        "ko",
    ),
    (
        "postkhmer",
        "កម្ពុជា និង កូរ៉េ ចុះហត្ថលេខា កិច្ចព្រមព្រៀងពាណិជ្ជកម្ម",
        "កម្ពុជា និង កូរ៉េខាងត្បូង បានចុះហត្ថលេខាលើកិច្ចព្រមព្រៀងពាណិជ្ជកម្មសេរី។ ពន្ធលើសម្លៀកបំពាក់នឹងធ្លាក់ចុះ។",
        ["trade-investment"],
        "fta",
        1.5,
        "km",
    ),
    (
        "koreaherald",
        "More Cambodian workers to enter Korea under EPS",
        "Korea will admit more Cambodian workers under the Employment Permit System next year. "
        "The quota rises by a fifth.",
        ["labour-migration"],
        "eps",
        2,
        "en",
    ),
    (
        "hanin",
        "캄보디아 근로자 고용허가제 입국 확대",
        "내년 고용허가제로 입국하는 캄보디아 근로자가 늘어난다. 정부는 쿼터를 20% 늘렸다.",
        ["labour-migration"],
        "eps",
        2.5,
        "ko",
    ),
    (
        "yonhap",
        "캄보디아 취업사기 피해 한국인 12명 구출",
        "캄보디아에서 고수익 취업을 미끼로 한 사기 조직에 감금됐던 한국인 12명이 구출됐다.",
        ["scams-crime"],
        "scam",
        3,
        "ko",
    ),
    (
        "khmertimes",
        "New direct flights link Incheon and Siem Reap",
        "A Korean airline will fly daily between Incheon and Siem Reap from December.",
        ["tourism-transport"],
        "flights",
        3.5,
        "en",
    ),
    (
        "postkhmer",
        "KOICA ផ្តល់ជំនួយ ដល់ វិស័យ ទឹកស្អាត",
        "ទីភ្នាក់ងារ KOICA បានផ្តល់ជំនួយ ដល់គម្រោងទឹកស្អាតនៅខេត្តកំពង់ចាម។",
        ["aid-development"],
        "koica",
        4,
        "km",
    ),
    (
        "koreaherald",
        "Korean university opens Khmer studies <centre> & library",
        "A Seoul university opened a centre for Khmer studies with a library of 3,000 books.",
        ["education-culture"],
        "khmer-studies",
        4.5,
        "en",
    ),
    (
        "khmertimes",
        "EDCF loan to fund Phnom Penh ring road",
        "Korea's EDCF will lend $200 million for the third ring road. Work starts next year.",
        ["aid-development"],
        "ring-road",
        5,
        "en",
    ),
    (
        "koreaherald",
        "Seoul hosts Cambodian health ministers",
        "Health ministers from Cambodia visited Seoul to study the national insurance system.",
        ["health"],
        "health",
        5.5,
        "en",
    ),
]


def make_config(tmp: Path, extra: str = "", to: tuple[str, ...] = ("desk@ckmon.test",)) -> Config:
    """A ckmon.toml in `tmp` with the store, outbox and archive inside it; `extra` continues the
    [mail] table and may add others."""
    toml = tmp / "ckmon.toml"
    addresses = ", ".join(f'"{a}"' for a in to)
    toml.write_text(
        f'[mail]\nfrom = "ckmon <digest@ckmon.test>"\nto = [{addresses}]\n' + extra,
        encoding="utf-8",
    )
    return load_config(toml)


def _add(session: Session, outlet: str, title: str, lead: str, topics: list[str],
         cluster: int | None, seen: datetime, lang: str, relevant: bool = True,
         published: datetime | None = None) -> ArticleRow:  # fmt: skip
    row = ArticleRow(
        canonical_url=f"https://{outlet}.test/{len(title)}-{seen.timestamp():.0f}",
        url=f"https://{outlet}.test/news/{seen:%Y%m%d%H%M}",
        outlet_id=get_outlet(session, outlet, *OUTLETS[outlet]).id,
        title=title,
        text=lead,
        lead=lead,
        lang=lang,
        published_at=published or seen - timedelta(hours=2),
        first_seen_at=seen,
        relevant=relevant,
        topics=topics if relevant else [],
    )
    session.add(row)
    session.flush()
    row.cluster_id = cluster or row.id if relevant else None
    return row


def populate(session: Session) -> None:
    """The fixed week, plus what must stay out: older, later and irrelevant articles."""
    session.add(
        Edition(
            key="2026-W47",
            since=None,
            until=PREVIOUS_CUTOFF,
            built_at=PREVIOUS_CUTOFF,
            status="sent",
            stories=3,
            sent_at=PREVIOUS_CUTOFF,
        )  # fmt: skip
    )
    clusters: dict[str, int] = {}
    for outlet, title, lead, topics, label, days, lang in ARTICLES:
        row = _add(session, outlet, title, lead, topics, clusters.get(label),
                   PREVIOUS_CUTOFF + timedelta(days=days), lang)  # fmt: skip
        clusters.setdefault(label, row.cluster_id or row.id)
    # Sent last week (and counted in last week's coverage bar), so not in this edition.
    _add(session, "khmertimes", "Old news from the previous edition", "Old.", ["diplomacy"],
         None, PREVIOUS_CUTOFF - DAY, "en")  # fmt: skip
    # Published weeks ago, first stored this week: in this edition, counted in its own week.
    _add(session, "koreaherald", "Backfilled: Korea–Cambodia ties mark an anniversary",
         "The two countries marked 29 years of renewed ties.", ["diplomacy"], None,
         PREVIOUS_CUTOFF + 6 * DAY, "en", published=NOW - 30 * DAY)  # fmt: skip
    # Stored after the cutoff: the next edition's.
    _add(session, "yonhap", "Too late for this edition", "Later.", ["diplomacy"], None,
         NOW + timedelta(minutes=5), "en")  # fmt: skip
    _add(session, "khmertimes", "Football: Phnom Penh derby ends in a draw", "Sport.", [], None,
         PREVIOUS_CUTOFF + 2 * DAY, "en", relevant=False)  # fmt: skip
    for name, status, error, new in (
        ("deaddaily", "failed", "DNS lookup failed for deaddaily.test", 0),
        ("quietpost", "ok", "", 0),
        ("khmertimes", "ok", "", 4),
    ):
        session.add(
            CrawlRun(
                outlet_id=get_outlet(session, name, *OUTLETS[name]).id,
                started_at=PREVIOUS_CUTOFF + 3 * DAY,
                finished_at=PREVIOUS_CUTOFF + 3 * DAY,
                status=status,
                error=error,
                articles_new=new,
            )  # fmt: skip
        )
    session.commit()


def store(config: Config) -> Session:
    """A session on the config's store, filled with the fixed week."""
    session = make_sessionmaker(config.store.url)()
    populate(session)
    return session
