"""The store through the same SQLAlchemy code on SQLite and PostgreSQL (`store_url` runs both)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from digest.analysis.article import Article
from digest.analysis.ingest import Analyzer, ingest
from digest.fetch.fetchstate import remember
from digest.store.engine import create_store_engine, get_outlet, insert_article, make_sessionmaker
from digest.store.models import ArticleRow, FetchState, Outlet
from tests.support.threads import run_together

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
STORY = (
    "Trade officials from South Korea and Cambodia met in Seoul on Wednesday to discuss widening "
    "the bilateral free trade agreement. The Cambodian delegation asked for lower tariffs on "
    "garments, while Korean negotiators raised rules of origin for parts assembled in Phnom Penh. "
    "(Test text written for ckmon.)"
)


def _values(url: str, outlet_id: int) -> dict[str, object]:
    return {
        "canonical_url": url,
        "url": url,
        "outlet_id": outlet_id,
        "title": "Korea and Cambodia",
        "authors": ["A. Writer"],
        "published_at": NOW,
        "first_seen_at": NOW,
        "topics": ["trade-investment"],
    }


def test_articles_round_trip(store_url: str) -> None:
    sessions = make_sessionmaker(store_url)
    with sessions() as session:
        outlet = get_outlet(session, "gazette", "Test Gazette", "en")
        new_id = insert_article(session, _values("https://example.org/a", outlet.id))
        session.commit()
    with sessions() as session:
        row = session.get(ArticleRow, new_id)
        assert row is not None
        assert row.published_at == NOW and row.published_at.tzinfo is not None
        assert row.authors == ["A. Writer"] and row.topics == ["trade-investment"]
        assert row.text == "" and row.relevant is False  # column defaults apply to the upsert


def test_second_insert_of_a_url_is_a_no_op(store_url: str) -> None:
    sessions = make_sessionmaker(store_url)
    with sessions() as session:
        outlet = get_outlet(session, "gazette")
        first = insert_article(session, _values("https://example.org/a", outlet.id))
        again = insert_article(session, _values("https://example.org/a", outlet.id))
        session.commit()
        assert isinstance(first, int)
        assert again is None
        assert session.scalar(select(func.count()).select_from(ArticleRow)) == 1


def test_workers_inserting_the_same_urls_at_once_store_each_once(store_url: str) -> None:
    sessions = make_sessionmaker(store_url)
    with sessions() as session:
        outlet_id = get_outlet(session, "gazette").id
        session.commit()
    urls = [f"https://example.org/{n}" for n in range(20)]
    inserted: list[int] = []

    def worker(_: int, start: threading.Barrier) -> None:
        engine = create_store_engine(store_url)  # its own connections, like another process
        start.wait()
        for url in urls:
            with sessionmaker(engine)() as session:
                new_id = insert_article(session, _values(url, outlet_id))
                session.commit()
            if new_id is not None:
                inserted.append(new_id)
        engine.dispose()

    run_together(4, worker)
    assert len(inserted) == len(urls)  # every URL stored by exactly one worker
    with sessions() as session:
        stored = session.scalars(select(ArticleRow.canonical_url)).all()
    assert sorted(stored) == sorted(urls)


def test_outlets_created_at_once_by_two_workers_are_one_row(store_url: str) -> None:
    ids: list[int] = []

    def worker(_: int, start: threading.Barrier) -> None:
        engine = create_store_engine(store_url)
        start.wait()
        with sessionmaker(engine)() as session:
            ids.append(get_outlet(session, "gazette", "Test Gazette", "en").id)
            session.commit()
        engine.dispose()

    run_together(2, worker)
    assert len(ids) == 2 and ids[0] == ids[1]
    with make_sessionmaker(store_url)() as session:
        assert session.scalar(select(func.count()).select_from(Outlet)) == 1


def test_ingest_stores_once_and_clusters_copies(store_url: str) -> None:
    sessions = make_sessionmaker(store_url)
    analyzer = Analyzer()
    original = Article(
        url="https://gazette.example/fta", title="Seoul and Phnom Penh talk trade", text=STORY
    )
    copy = Article(
        url="https://wire.example/fta-copy", title="Korea, Cambodia talk trade", text=STORY
    )
    with sessions() as session:
        first = ingest(original, session, analyzer, now=NOW)
    with sessions() as session:
        again = ingest(original, session, analyzer, now=NOW)
    with sessions() as session:
        copied = ingest(copy, session, Analyzer(), now=NOW)  # another worker's analyzer
    assert first.status == "new" and first.relevant
    assert again.status == "seen" and again.article_id == first.article_id
    assert copied.status == "new" and copied.cluster_id == first.cluster_id == first.article_id


def test_copies_ingested_at_once_by_two_workers_share_a_cluster(store_url: str) -> None:
    make_sessionmaker(store_url)  # schema first, so both workers start on an equal footing
    rounds = 3
    results: dict[int, list[int | None]] = {n: [] for n in range(rounds)}

    def worker(index: int, start: threading.Barrier) -> None:
        engine, analyzer = create_store_engine(store_url), Analyzer()
        for n in range(rounds):
            start.wait()
            article = Article(
                url=f"https://worker{index}.example/story-{n}",
                title=f"Story {n} on Korea and Cambodia",
                text=f"Round {n}. {STORY}",
            )
            with sessionmaker(engine)() as session:
                results[n].append(ingest(article, session, analyzer, now=NOW).cluster_id)
        engine.dispose()

    run_together(2, worker)
    for clusters in results.values():
        assert len(clusters) == 2 and clusters[0] is not None and clusters[0] == clusters[1]


def test_workers_saving_one_feeds_validators_at_once_keep_one_row(store_url: str) -> None:
    """Two workers read the same feed and save its validators as their crawls end: an upsert."""
    make_sessionmaker(store_url)  # schema first, so both workers start on an equal footing
    url = "https://gazette.example/feed.rss"

    def worker(index: int, start: threading.Barrier) -> None:
        engine = create_store_engine(store_url)
        for n in range(5):
            start.wait()
            with sessionmaker(engine)() as session:
                remember(
                    session,
                    f"{url}?round={n}",
                    etag=f'"w{index}"',
                    last_modified="",
                    full=True,
                    now=NOW,
                )
        engine.dispose()

    run_together(2, worker)
    with make_sessionmaker(store_url)() as session:
        rows = session.scalars(select(FetchState)).all()
    assert sorted(row.url for row in rows) == sorted(f"{url}?round={n}" for n in range(5))
    assert all(row.etag in ('"w0"', '"w1"') and row.last_full_fetch_at == NOW for row in rows)
