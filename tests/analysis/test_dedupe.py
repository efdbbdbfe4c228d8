"""Duplicate clusters through the real ingest and a real SQLite file."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

from datasketch import MinHash

from digest.analysis.article import Article
from digest.analysis.dedupe import (
    _NON_WORD,
    SHINGLE_CHARS,
    Deduper,
    _letters,
    _permutations,
    content_hash,
    minhash,
    shingle_hashes,
    similarity,
)
from digest.analysis.ingest import Analyzer, ingest
from digest.store.engine import make_sessionmaker
from tests.support.samples import COPY, OTHER_WRITEUP, WIRE

KHMER = (
    "ភ្នំពេញ៖ ពលករ\u200bកម្ពុជា\u200bចំនួន ៥០០ នាក់ បាន\u200bចាកចេញ\u200bទៅ\u200bធ្វើការ\u200bនៅ"
    "\u200bសាធារណរដ្ឋ\u200bកូរ៉េ ក្រោម\u200bកម្មវិធី\u200bលិខិតអនុញ្ញាត\u200bការងារ "
    "ក្រសួង\u200bការងារ\u200bបាន\u200bប្រាប់\u200bថា ពលករ\u200bទាំងនោះ\u200bនឹង\u200bធ្វើការ"
    "\u200bក្នុង\u200bវិស័យ\u200bកសិកម្ម និង\u200bឧស្សាហកម្ម"
)


def test_syndicated_copy_joins_and_independent_writeup_does_not() -> None:
    deduper = Deduper()
    deduper.add(1, 1, WIRE)
    assert deduper.match(COPY) == 1
    assert deduper.match(OTHER_WRITEUP) is None


def test_khmer_copy_without_zero_width_spaces_matches() -> None:
    deduper = Deduper()
    deduper.add(7, 7, KHMER)
    assert deduper.match(KHMER.replace("\u200b", "") + " ។") == 7


def test_content_hash_ignores_spacing_and_punctuation() -> None:
    assert content_hash("Seoul,  Phnom Penh!") == content_hash("seoul phnom-penh")
    # values stored by earlier versions must still match: this one was computed before the change
    assert content_hash("Seoul,  Phnom Penh!") == (
        "3a2895b72a5835bbbcc381ae48bfaf1741d13e6a58d3cb263be0894a645aa66d"
    )


def test_letters_are_those_of_the_regex_in_every_script() -> None:
    # decomposed Hangul (NFC composes it), Khmer digits, zero-width breaks, an underscore, a lone
    # surrogate from a badly decoded page, a Turkish dotted capital (lower() lengthens it), emoji
    text = "\u1112\u1161\u11ab\uad6d 캄보디아에서 ភ្នំ\u200bពេញ ២០២៥ snake_case \udc80 İstanbul 🇰🇷 Seoul!"
    lowered = unicodedata.normalize("NFC", text).lower()
    expected = "".join(
        c for c in lowered if not _NON_WORD.match(c) or unicodedata.category(c).startswith("M")
    )
    assert _letters(text) == expected
    assert "한국" in expected and "២០២៥" in expected and "_" not in expected
    assert "ភ្នំពេញ" in expected  # Khmer vowel signs and coeng kept: ការ is not ករ
    assert content_hash("ការងារ") != content_hash("ករងរ")
    content_hash(text)  # the surrogate is dropped, not an encoding error


def _shingle_strings(text: str) -> set[str]:
    letters = _letters(text)
    return {letters[i : i + SHINGLE_CHARS] for i in range(len(letters) - SHINGLE_CHARS + 1)}


def test_shingle_hashes_compare_texts_as_their_shingle_strings_do() -> None:
    khmer_copy = KHMER.replace("\u200b", "").replace("៥០០", "៦០០")
    for a, b in ((WIRE, COPY), (WIRE, OTHER_WRITEUP), (KHMER, khmer_copy), (COPY, KHMER)):
        mine, other = _shingle_strings(a), _shingle_strings(b)
        common = len(mine & other)
        expected = (common / len(mine | other), common / min(len(mine), len(other)))
        assert len(shingle_hashes(a)) == len(mine)
        assert similarity(shingle_hashes(a), shingle_hashes(b)) == expected
    short = similarity(shingle_hashes("Seoul"), shingle_hashes("seoul!"))  # one shingle each
    assert short == (1.0, 1.0)
    assert similarity(shingle_hashes("..."), shingle_hashes(WIRE)) == (0.0, 0.0)


def test_minhash_is_datasketchs_over_the_shingle_hashes() -> None:
    # the whole hash array goes to `update_batch` as one item; fed one by one it must agree
    one_by_one = MinHash(
        num_perm=128, hashfunc=int, permutations=_permutations(128), scheme="affine32"
    )
    one_by_one.update_batch([int(h) >> 32 for h in shingle_hashes(WIRE)])
    assert (minhash(WIRE).hashvalues == one_by_one.hashvalues).all()
    assert 0.3 < minhash(WIRE).jaccard(minhash(COPY)) < 1.0


def test_texts_are_fetched_for_screened_candidates_only_and_not_kept() -> None:
    stored = {1: WIRE, 2: OTHER_WRITEUP, 3: KHMER}
    asked: list[list[int]] = []

    def texts(ids: list[int]) -> dict[int, str]:
        asked.append(list(ids))
        return {i: stored[i] for i in ids}

    deduper = Deduper(texts=texts)
    for article_id, text in stored.items():
        deduper.add(article_id, article_id, text)
    assert deduper.match(COPY) == 1
    assert asked == [[1]]  # the independent write-up and the Khmer text never left the database
    assert deduper.match("Weather: rain in Seoul and sun in Phnom Penh all week long. " * 3) is None
    assert asked == [[1]]
    stored[1] = OTHER_WRITEUP  # the exact check reads the text the lookup returns
    assert deduper.match(COPY) is None


def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_sessionmaker(f"sqlite:///{tmp_path / 'ck.sqlite'}")


def article(url: str, title: str, text: str, outlet: str) -> Article:
    return Article(url=url, title=title, text=text, canonical_url=url, outlet=outlet, lang="en")


def test_incremental_clusters_across_runs_and_outlets(tmp_path: Path) -> None:
    sessions = store(tmp_path)
    now = datetime(2026, 11, 20, tzinfo=UTC)
    title = "Korea lends Cambodia $200m for Phnom Penh ring road"
    with sessions() as session:  # first run: the wire
        first = ingest(
            article("https://wire.test/1", title, WIRE, "wire"), session, Analyzer(), now=now
        )
    with sessions() as session:  # a later run, a fresh analyzer, another outlet
        analyzer = Analyzer()
        copy = ingest(
            article("https://daily.test/9", title, COPY, "daily"), session, analyzer, now=now
        )
        verbatim = ingest(
            article("https://mirror.test/3", title, WIRE, "mirror"), session, analyzer, now=now
        )
        other = ingest(
            article("https://post.test/4", "Ring road loan welcomed", OTHER_WRITEUP, "post"),
            session,
            analyzer,
            now=now,
        )
        again = ingest(
            article("https://wire.test/1", title, WIRE, "wire"), session, analyzer, now=now
        )
    assert copy.cluster_id == first.cluster_id == first.article_id
    assert verbatim.cluster_id == first.cluster_id
    assert other.cluster_id == other.article_id
    assert again.status == "seen" and again.article_id == first.article_id


def test_articles_outside_the_window_are_not_matched(tmp_path: Path) -> None:
    sessions = store(tmp_path)
    then = datetime(2026, 1, 1, tzinfo=UTC)
    with sessions() as session:
        old = ingest(
            article("https://wire.test/old", "Loan", WIRE, "wire"), session, Analyzer(), now=then
        )
    with sessions() as session:
        late = ingest(
            article("https://daily.test/new", "Loan", COPY, "daily"),
            session,
            Analyzer(),
            now=then + timedelta(days=90),
        )
    assert late.cluster_id != old.cluster_id
