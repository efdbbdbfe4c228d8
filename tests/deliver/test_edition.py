"""Which articles an edition holds: windows from the last sent cutoff, fixed once cut."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from digest.deliver.edition import (
    EditionView,
    adhoc,
    build,
    coverage,
    cut,
    draft,
    edition_key,
    is_due,
    lead_of,
    view_of,
)
from digest.deliver.publish import Publishing, publish_due
from digest.store.engine import make_sessionmaker
from digest.store.models import ArticleRow, Delivery, Edition
from tests.support.weekdata import NOW, PREVIOUS_CUTOFF, make_config, store

TZ_NAME = "Asia/Phnom_Penh"


def _titles(view: EditionView) -> list[str]:
    stories = [*view.top, *(s for section in view.sections.values() for s in section)]
    return [s.lead.title for s in stories]


def test_window_runs_from_the_last_sent_cutoff_to_the_cut(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with store(config) as session:
        edition, view = build(session, NOW, config.digest.timezone)
    assert edition.key == "2026-W48" and edition.status == "pending"
    assert edition.since == PREVIOUS_CUTOFF and edition.until == NOW
    titles = _titles(view)
    assert "Old news from the previous edition" not in titles  # sent last week
    assert "Too late for this edition" not in titles  # stored after the cut
    assert "Football: Phnom Penh derby ends in a draw" not in titles  # not relevant
    assert "Backfilled: Korea–Cambodia ties mark an anniversary" in titles
    assert view.story_count == 9 == edition.stories  # 12 articles, two clusters


def test_rebuilding_an_unsent_edition_gives_the_same_edition(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with store(config) as session:
        first, view1 = build(session, NOW, config.digest.timezone)
        # Later the same week, with a new article stored in between: the window does not move.
        later = NOW + timedelta(hours=30)
        second, view2 = build(session, later, config.digest.timezone)
        assert cut(session, later, config.digest.timezone).id == first.id
    assert second.id == first.id and second.until == NOW
    assert _titles(view2) == _titles(view1)
    assert view2.by_topic == view1.by_topic and view2.by_lang == view1.by_lang


def test_a_missed_week_rolls_into_the_next_edition(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with store(config) as session:
        # Nothing was cut in W48; the W49 edition starts at the W47 cutoff and holds W48's news.
        edition, view = build(session, NOW + timedelta(days=7), config.digest.timezone)
    assert edition.key == "2026-W49" and edition.since == PREVIOUS_CUTOFF
    assert "Too late for this edition" in _titles(view)
    assert "Cambodia and South Korea sign upgraded trade pact" in _titles(view)


def test_due_on_a_fresh_store_then_weekly_after_the_send_time(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    tz = config.digest.timezone
    session = make_sessionmaker(config.store.url)()
    assert is_due(session, NOW, tz, 0, "07:00")  # fresh store: at once
    assert publish_due(session, Publishing.from_config(config), NOW) is not None
    assert not is_due(session, NOW + timedelta(hours=1), tz, 0, "07:00")  # sent this week
    next_monday = NOW + timedelta(days=7)
    assert not is_due(session, next_monday - timedelta(hours=1), tz, 0, "07:00")  # 06:30 local
    assert is_due(session, next_monday, tz, 0, "07:00")
    assert edition_key(next_monday, tz) == "2026-W49"
    session.close()


def test_a_past_weeks_edition_is_due_before_this_weeks_send_time(tmp_path: Path) -> None:
    # Off from before Monday 23 Nov 07:00 until Monday 30 Nov 06:30: the edition due on the 23rd
    # goes out at once, not with the next week's, and only once.
    config = make_config(tmp_path)
    tz = config.digest.timezone
    back = NOW + timedelta(days=7, hours=-1)  # Mon 30 Nov 06:30, before that week's send time
    with store(config) as session:
        assert is_due(session, back, tz, 0, "07:00")
        published = publish_due(session, Publishing.from_config(config), back)
        assert published is not None and published.complete
        assert not is_due(session, back + timedelta(hours=1), tz, 0, "07:00")
        assert (
            publish_due(session, Publishing.from_config(config), back + timedelta(hours=1)) is None
        )
        edition = session.scalars(select(Edition).where(Edition.key == published.key)).one()
        assert edition.since == PREVIOUS_CUTOFF and edition.until == back
        view = view_of(session, edition.key, edition.since, edition.until, tz)
        assert "Cambodia and South Korea sign upgraded trade pact" in _titles(view)
    # A Sunday 20:00 send day, off over Sunday 29 Nov: due on Monday, not a week later.
    (tmp_path / "sunday").mkdir()
    with store(make_config(tmp_path / "sunday")) as session:
        assert is_due(session, NOW + timedelta(days=7), tz, 6, "20:00")


def test_a_sent_edition_is_never_sent_again(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with store(config) as session:
        published = publish_due(session, Publishing.from_config(config), NOW)
        assert published is not None and published.sent == ["desk@ckmon.test"]
        assert (
            publish_due(session, Publishing.from_config(config), NOW + timedelta(hours=2)) is None
        )
        assert publish_due(session, Publishing.from_config(config), NOW + timedelta(days=6)) is None
        assert session.scalar(select(func.count()).select_from(Delivery)) == 1
        edition = session.scalars(select(Edition).where(Edition.key == "2026-W48")).one()
        assert edition.status == "sent" and edition.sent_at == NOW
        # The next week's edition starts exactly where this one ended.
        following = publish_due(session, Publishing.from_config(config), NOW + timedelta(days=7))
        assert following is not None and following.key == "2026-W49"
        w49 = session.scalars(select(Edition).where(Edition.key == "2026-W49")).one()
        assert w49.since == NOW
        view = view_of(session, w49.key, w49.since, w49.until, config.digest.timezone)
        assert _titles(view) == ["Too late for this edition"]


def test_empty_week_is_a_short_edition(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with store(config) as session:
        assert publish_due(session, Publishing.from_config(config), NOW) is not None
        published = publish_due(
            session, Publishing.from_config(config), NOW + timedelta(days=14, hours=1)
        )
        # W50 holds only the one late article; then a week with nothing at all:
        quiet = publish_due(
            session, Publishing.from_config(config), NOW + timedelta(days=21, hours=1)
        )
    assert published is not None and published.stories == 1
    assert quiet is not None and quiet.stories == 0
    page = quiet.page.read_text(encoding="utf-8")
    assert "No relevant coverage" in page


def test_top_stories_sections_and_counts(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with store(config) as session:
        _, view = build(session, NOW, config.digest.timezone)
    first = view.top[0]
    assert first.lead.title == "Cambodia and South Korea sign upgraded trade pact"  # 3 outlets
    assert first.outlets == 3 and [i.lang for i in first.also_in] == ["ko", "km"]
    assert first.lead.topics[0] == "trade-investment"  # the topic most members share
    assert view.top[1].lead.title == "More Cambodian workers to enter Korea under EPS"
    assert len(view.top) == 5
    assert sum(len(s) for s in view.sections.values()) == 4
    assert list(view.sections)[0] == "aid-development"
    assert all(s.lead.topics[0] == topic for topic, ss in view.sections.items() for s in ss)
    assert view.by_lang == {"en": 7, "ko": 3, "km": 2}
    assert view.by_topic["trade-investment"] == 1 and view.by_topic["aid-development"] == 2
    # the cause in a few words: the whole error text is in `ckmon sources`
    assert view.failed_outlets == [("Dead Daily", "name did not resolve (deaddaily.test)")]
    assert view.quiet_outlets == ["Quiet Post"]


def test_coverage_bars_count_by_week_of_publication(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with store(config) as session:
        _, view = build(session, NOW, config.digest.timezone)
    weeks = {w.key: w.count for w in view.coverage}
    # Cut on Monday 07:30, the edition reports on W47: the chart ends there, W47 marked as its own,
    # not on the few hours of W48.
    assert len(view.coverage) == 10 and view.coverage[-1].key == "2026-W47"
    assert [w.key for w in view.coverage if w.current] == ["2026-W47"]
    # 11 of the window's articles were published in W47; the backfilled one counts in W43, the
    # one sent last week in W46; the one stored after the cut is not counted at all.
    assert weeks == {
        **{f"2026-W{n}": 0 for n in range(38, 48)},
        "2026-W43": 1,
        "2026-W46": 1,
        "2026-W47": 11,
    }
    assert view.coverage_max == 11


def test_coverage_marks_every_week_an_edition_spans(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    tz = config.digest.timezone
    with store(config) as session:
        # Friday 08:00 to Friday 08:00 spans two weeks by days: both are the edition's.
        friday = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
        weekly = coverage(session, friday, tz, since=friday - timedelta(days=7))
        # A missed week: three weeks, each by a day or more.
        missed = coverage(session, NOW, tz, since=PREVIOUS_CUTOFF - timedelta(days=9))
        # A first edition reaches back to the start: only its last week is marked.
        first = coverage(session, NOW, tz)
    assert [w.key for w in weekly if w.current] == ["2026-W46", "2026-W47"]
    assert weekly[-1].key == "2026-W47" and weekly[-1].count == 8  # stored by Friday 08:00
    assert [w.key for w in missed if w.current] == ["2026-W45", "2026-W46", "2026-W47"]
    assert [w.key for w in first if w.current] == ["2026-W47"]


def test_draft_and_adhoc_record_nothing(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with store(config) as session:
        before = session.scalar(select(func.count()).select_from(Edition))
        preview = draft(session, NOW, config.digest.timezone)
        special = adhoc(session, PREVIOUS_CUTOFF + timedelta(days=3), NOW, config.digest.timezone)
        assert session.scalar(select(func.count()).select_from(Edition)) == before
        assert session.scalar(select(func.count()).select_from(ArticleRow)) == 15
    assert preview.story_count == 9 and not preview.adhoc
    assert special.adhoc and special.key == "2026-11-19_2026-11-23"
    assert "Cambodia and South Korea sign upgraded trade pact" not in _titles(special)
    assert "New direct flights link Incheon and Siem Reap" in _titles(special)


def test_lead_is_two_or_three_sentences_in_any_script() -> None:
    english = "One is here. Two is here. Three is here. Four is not."
    assert lead_of(english) == "One is here. Two is here. Three is here."
    korean = "한국과 캄보디아가 서명했다. 관세가 낮아진다. 교역이 늘 전망이다. 넷째 문장."
    assert lead_of(korean) == "한국과 캄보디아가 서명했다. 관세가 낮아진다. 교역이 늘 전망이다."
    khmer = "កម្ពុជា និង កូរ៉េ បានចុះហត្ថលេខា។ ពន្ធនឹងធ្លាក់ចុះ។ ពាណិជ្ជកម្មនឹងកើនឡើង។ ទីបួន។"
    assert lead_of(khmer).count("។") == 3
    long_khmer = "ក" * 1000  # no spaces and no sentence end: cut at the limit, marked
    assert len(lead_of(long_khmer)) == 361 and lead_of(long_khmer).endswith("…")
    assert lead_of("  \n ") == ""


def test_outlets_past_the_health_thresholds_are_flagged(tmp_path: Path) -> None:
    from digest.deliver.health import HealthLimits
    from digest.deliver.render import render
    from digest.store.engine import get_outlet
    from digest.store.models import CrawlRun

    config = make_config(tmp_path)
    with store(config) as session:
        stale = get_outlet(session, "stale_daily", "Stale Daily", "en")
        broken = get_outlet(session, "broken_times", "Broken Times", "en")
        for n in range(3):
            when = NOW - timedelta(hours=6 * (n + 1))
            session.add(CrawlRun(outlet_id=stale.id, started_at=when, status="ok", articles_new=0))
            session.add(
                CrawlRun(
                    outlet_id=broken.id,
                    started_at=when,
                    status="ok",
                    articles_new=1,
                    articles_extracted=1,
                    extract_failed=4,
                )
            )
        session.commit()
        view = view_of(session, "2026-W48", PREVIOUS_CUTOFF, NOW, config.digest.timezone)
        lenient = view_of(
            session, "2026-W48", PREVIOUS_CUTOFF, NOW, config.digest.timezone, HealthLimits(5, 0.9)
        )
    assert ("Stale Daily", "no new article in 3 runs") in view.flagged_outlets
    assert ("Broken Times", "extraction failed on 12 of 15 pages") in view.flagged_outlets
    assert lenient.flagged_outlets == []  # the thresholds come from [health]
    html, text = render(view, generated=NOW)
    assert "Outlets to check" in html and "Stale Daily: no new article in 3 runs" in text
