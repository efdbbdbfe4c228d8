"""Full-text search of stored articles on SQLite and PostgreSQL, in English, Korean and Khmer."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from digest.store.engine import get_outlet, insert_article, make_engine, make_sessionmaker
from digest.store.models import ArticleRow
from digest.store.search import matching

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
# Sentences written for these tests. The Korean one attaches particles to its nouns (캄보디아에서,
# 협력을); the Khmer one, as Khmer is written, has no space between its words.
TEXTS = {
    "en": ("Korean investors open a garment plant", "The plant near Phnom Penh will employ 3,000."),
    "ko": (
        "한국 정부, 캄보디아에서 개발 협력을 논의",
        "한국 정부는 캄보디아에서 열린 회의에서 새로운 개발 협력 사업을 발표했다.",
    ),
    "km": (
        "កម្ពុជានិងកូរ៉េពង្រឹងកិច្ចសហប្រតិបត្តិការ",
        "ក្រសួងការបរទេសកម្ពុជាបានស្វាគមន៍ការវិនិយោគរបស់ក្រុមហ៊ុនកូរ៉េនៅខេត្តកំពង់ចាម។",
    ),
    "odd": ("Prices up 50% at stall_7", 'A "quoted" word and a back\\slash.'),
}


def _store(url: str) -> dict[str, int]:
    ids = {}
    with make_sessionmaker(url)() as session:
        outlet = get_outlet(session, "gazette", "Test Gazette", "en")
        for key, (title, body) in TEXTS.items():
            ids[key] = insert_article(
                session,
                {
                    "canonical_url": f"https://example.org/{key}",
                    "url": f"https://example.org/{key}",
                    "outlet_id": outlet.id,
                    "title": title,
                    "text": body,
                    "lang": key,
                    "first_seen_at": NOW,
                },
            )
        session.commit()
    return ids


def _found(url: str, query: str) -> set[str]:
    with make_sessionmaker(url)() as session:
        langs = session.scalars(select(ArticleRow.lang).where(matching(session, query)))
        return set(langs)


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("korean", {"en"}),  # any case
        ("KOREAN plant", {"en"}),  # every word, anywhere
        ("korean 캄보디아", set()),
        ("캄보디아", {"ko"}),  # inside 캄보디아에서
        ("협력", {"ko"}),  # two characters: shorter than a trigram, inside 협력을
        ("한국 사업", {"ko"}),
        ("កម្ពុជា", {"km"}),  # Cambodia, inside a sentence without spaces
        ("កូរ៉េ ការវិនិយោគ", {"km"}),  # Korea and investment, both inside it
        ("កម្ពុជា 캄보디아", set()),
        ("50%", {"odd"}),
        ("50%25", set()),
        ("stall_7", {"odd"}),
        ("stall%7", set()),
        ('"quoted"', {"odd"}),
        ("back\\slash", {"odd"}),
        ("Phnom", {"en"}),  # in the text, not the title
        ("", {"en", "ko", "km", "odd"}),
    ],
)
def test_every_word_is_found_inside_longer_words(
    store_url: str, query: str, found: set[str]
) -> None:
    _store(store_url)
    assert _found(store_url, query) == found


def test_the_index_follows_changed_and_deleted_articles(store_url: str) -> None:
    ids = _store(store_url)
    with make_sessionmaker(store_url)() as session:
        session.execute(
            update(ArticleRow)
            .where(ArticleRow.id == ids["en"])
            .values(text="Seoul and Siem Reap signed a tourism accord.")
        )
        session.execute(update(ArticleRow).where(ArticleRow.id == ids["ko"]).values(cluster_id=1))
        session.execute(ArticleRow.__table__.delete().where(ArticleRow.id == ids["km"]))
        session.commit()
    assert _found(store_url, "Siem Reap") == {"en"}
    assert _found(store_url, "Phnom") == set()
    assert _found(store_url, "캄보디아") == {"ko"}
    assert _found(store_url, "កម្ពុជា") == set()


def test_sqlite_searches_through_the_trigram_index(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    _store(url)
    with make_sessionmaker(url)() as session:
        statement = select(ArticleRow.id).where(matching(session, "캄보디아"))
        sql = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        plan = session.execute(text(f"EXPLAIN QUERY PLAN {sql}")).all()
    assert any("VIRTUAL TABLE INDEX" in str(row) for row in plan), plan


def test_sqlite_without_the_index_still_finds(tmp_path: Path) -> None:
    """A store on SQLite older than 3.34 has no trigram table: the search reads the articles."""
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    _store(url)
    with make_engine(url).begin() as connection:
        for trigger in ("insert", "delete", "update"):
            connection.execute(text(f"DROP TRIGGER articles_fts_{trigger}"))
        connection.execute(text("DROP TABLE articles_fts"))
    assert _found(url, "캄보디아 협력") == {"ko"}
    assert _found(url, "កូរ៉េ") == {"km"}


def test_postgresql_searches_through_both_indexes(postgres_url: str) -> None:
    _store(postgres_url)
    with make_sessionmaker(postgres_url)() as session:
        session.execute(text("SET enable_seqscan = off"))
        statement = select(ArticleRow.id).where(matching(session, "캄보디아"))
        sql = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        plan = "\n".join(session.execute(text(f"EXPLAIN {sql}")).scalars())
    assert "ix_articles_search_words" in plan and "ix_articles_search_trigrams" in plan, plan


def test_articles_stored_before_the_index_are_found(store_url: str) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from digest.store import migrate

    old = create_engine(store_url)
    with old.begin() as connection:  # a store at the revision before the search indexes
        command.upgrade(migrate.alembic_config(connection), "0004")
        connection.execute(
            text(
                "INSERT INTO articles (canonical_url, url, title, text, lead, authors, lang, image,"
                " date_source, first_seen_at, content_hash, relevant, relevance_score, evidence,"
                " topics) VALUES ('u', 'u', :title, :body, '', '[]', 'ko', '', '', :now, '',"
                " false, 0, '[]', '[]')"
            ),
            {"title": TEXTS["ko"][0], "body": TEXTS["ko"][1], "now": NOW.replace(tzinfo=None)},
        )
    old.dispose()
    assert _found(store_url, "캄보디아 협력") == {"ko"}
