"""Extraction on pages written for these tests, modelled on real outlets' markup."""

from __future__ import annotations

from datetime import UTC, datetime

from digest.analysis.extract import clean_title, extract_article

BODY = "".join(
    f"<p>Paragraph {i}: officials from Phnom Penh and Seoul discussed labour, trade and aid "
    f"programmes at length during the meeting this week.</p>"
    for i in range(8)
)


def page(head: str, body: str = BODY, extra: str = "") -> str:
    return (
        f"<html lang='en'><head>{head}</head><body><nav>Home | World | Sports</nav>"
        f"<article><h1>Headline on the page</h1>{extra}{body}</article>"
        "<footer>Copyright Test Gazette</footer></body></html>"
    )


def test_jsonld_graph_wins_over_opengraph() -> None:
    head = """
    <meta property="og:title" content="Social card title | Test Gazette">
    <meta property="article:published_time" content="2020-01-01T00:00:00Z">
    <script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
      {"@type": "WebSite", "name": "Test Gazette"},
      {"@type": "NewsArticle", "headline": "Cambodia and Korea expand labour deal",
       "datePublished": "2026-11-18T09:00:00+09:00", "dateModified": "2026-11-18T12:00:00+09:00",
       "author": [{"@type": "Person", "name": "Kim Ji-won"}, {"@type": "Person", "name": "Sok Dara"}],
       "image": {"@type": "ImageObject", "url": "https://gazette.test/a.jpg"},
       "description": "The two governments agreed to raise the quota."}]}</script>"""
    article = extract_article(page(head), "https://gazette.test/a")
    assert article.title == "Cambodia and Korea expand labour deal"
    assert article.published == datetime(2026, 11, 18, 0, 0, tzinfo=UTC)
    assert article.updated == datetime(2026, 11, 18, 3, 0, tzinfo=UTC)
    assert article.date_source == "jsonld"
    assert article.authors == ["Kim Ji-won", "Sok Dara"]
    assert article.image == "https://gazette.test/a.jpg"
    assert article.lead == "The two governments agreed to raise the quota."
    assert "Paragraph 3" in article.text and "Copyright" not in article.text


def test_jsonld_inside_cdata_is_read() -> None:
    head = """<script type="application/ld+json"><![CDATA[
      {"@type": "NewsArticle", "headline": "Wrapped", "datePublished": "2024-12-06T22:00:40Z"}
    ]]></script>"""
    article = extract_article(page(head), "https://gazette.test/b")
    assert article.published == datetime(2024, 12, 6, 22, 0, 40, tzinfo=UTC)


def test_korean_byline_date_is_read_in_seoul_time() -> None:
    html = (
        "<html lang='ko'><head><title>캄보디아 한국인 구출 - 테스트일보</title></head><body>"
        "<div class='article_info'><span>입력 2025.10.14 09:12</span> <span>수정 2025.10.15 10:00</span></div>"
        + "".join(
            f"<p>프놈펜 주재 한국대사관은 캄보디아 경찰과 협력해 한국인 {i}명을 구출했다고 밝혔다.</p>"
            for i in range(6)
        )
        + "</body></html>"
    )
    article = extract_article(html.encode("utf-8"), "https://ilbo.test/1")
    assert article.lang == "ko"
    assert article.published == datetime(2025, 10, 14, 0, 12, tzinfo=UTC)
    assert article.date_source == "page"
    assert article.title == "캄보디아 한국인 구출"


def test_khmer_date_in_page() -> None:
    html = (
        "<html><head><title>ពលករកម្ពុជា</title></head><body>"
        "<p class='post-date'>ថ្ងៃទី១៤ ខែតុលា ឆ្នាំ២០២៥</p>"
        + "".join(
            "<p>ពលករ\u200bកម្ពុជា\u200bចំនួន ៥០០ នាក់ បាន\u200bចេញ\u200bទៅ\u200bធ្វើការ\u200bនៅ\u200bកូរ៉េ។</p>"
            for _ in range(6)
        )
        + "</body></html>"
    )
    article = extract_article(html, "https://khmer.test/1")
    assert article.lang == "km"
    assert article.published == datetime(2025, 10, 13, 17, 0, tzinfo=UTC)


def test_selectors_from_the_registry_fill_what_generic_extraction_misses() -> None:
    html = (
        "<html><body><div class='hd'><b class='ttl'>Seoul and Phnom Penh sign accord</b>"
        "<i class='when'>2026-11-18 10:00</i></div>"
        "<div class='txt'><span>Officials signed the accord in Seoul on Tuesday after talks.</span>"
        "<span>The deal covers workers, trade and scholarships for students.</span></div>"
        "</body></html>"
    )
    selectors = {"title": "b.ttl", "body": "div.txt span", "date": "i.when", "bogus": "p"}
    article = extract_article(html, "https://sel.test/1", selectors)
    assert article.title == "Seoul and Phnom Penh sign accord"
    assert article.text.startswith("Officials signed the accord")
    assert article.published == datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
    assert article.date_source == "selector"


def test_bad_selector_is_logged_not_raised(caplog) -> None:  # type: ignore[no-untyped-def]
    article = extract_article(page(""), "https://sel.test/2", {"title": "div[[["})
    assert article.title  # generic extraction still ran
    assert "bad CSS selector" in caplog.text


def test_feed_date_is_the_last_resort_and_says_so() -> None:
    when = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    html = "<html><body>" + BODY + "</body></html>"
    article = extract_article(html, "https://nodate.test/1", fallback_published=when)
    assert article.published == when
    assert article.date_source == "feed"


def test_truncated_social_title_gives_way_to_the_full_headline() -> None:
    head = '<meta property="og:title" content="Cambodia and Korea agree to cooperate on...">'
    html = page(head).replace(
        "Headline on the page", "Cambodia and Korea agree to cooperate on scam crackdown"
    )
    article = extract_article(html, "https://gazette.test/c")
    assert article.title == "Cambodia and Korea agree to cooperate on scam crackdown"


def test_canonical_link_and_amp_variant() -> None:
    head = '<link rel="canonical" href="https://www.gazette.test/news/1">'
    article = extract_article(page(head), "https://m.gazette.test/amp/news/1?utm_source=x")
    assert article.canonical_url == "https://gazette.test/news/1"


def test_site_name_is_stripped_from_titles() -> None:
    assert clean_title("Ties deepen | Yonhap News Agency", "Yonhap News Agency") == "Ties deepen"
    assert clean_title("Ties deepen - The Phnom Penh Post", "", "https://phnompenhpost.com/x") == (
        "Ties deepen"
    )
    # a dash inside the headline is kept
    assert clean_title("Cambodia - Korea ties deepen", "", "https://x.test/") == (
        "Cambodia - Korea ties deepen"
    )


def test_declared_metadata_of_text_that_declares_an_xml_encoding() -> None:
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", '
        '"headline": "캄보디아 노동자 송출 확대", "datePublished": "2026-11-18T09:00:00+09:00"}'
        "</script>"
    )
    text = '<?xml version="1.0" encoding="euc-kr"?>\n' + page(head)
    article = extract_article(text, "https://gazette.test/x")
    assert article.title == "캄보디아 노동자 송출 확대"
    assert article.date_source == "jsonld"


def test_no_document_gives_an_empty_article_not_an_error() -> None:
    article = extract_article("   ", "https://gazette.test/empty")
    assert article.title == "" and article.text == ""


def test_page_declaring_everything_needs_no_metadata_pass_and_loses_nothing() -> None:
    head = (
        '<meta property="og:title" content="Korea funds Cambodian rural roads">'
        '<meta property="og:description" content="A new loan for 300 km of roads.">'
        '<meta property="og:image" content="https://gazette.test/roads.jpg">'
        '<meta name="author" content="Chan Sophea">'
        '<meta property="article:published_time" content="2026-11-20T08:00:00+07:00">'
    )
    article = extract_article(page(head), "https://gazette.test/roads")
    assert article.title == "Korea funds Cambodian rural roads"
    assert article.lead == "A new loan for 300 km of roads."
    assert article.image == "https://gazette.test/roads.jpg"
    assert article.authors == ["Chan Sophea"]
    assert "Paragraph 7" in article.text


def test_metadata_pass_runs_only_where_it_can_fill_something(
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    import trafilatura

    passes: list[bool] = []
    real = trafilatura.bare_extraction

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        passes.append(kwargs["with_metadata"])
        return real(*args, **kwargs)

    monkeypatch.setattr(trafilatura, "bare_extraction", counting)
    declared = (
        '<meta property="og:title" content="Korea funds Cambodian rural roads">'
        '<meta name="author" content="Chan Sophea">'
    )
    # Title and author declared, no summary or picture anywhere: nothing for the pass to find
    article = extract_article(page(declared), "https://gazette.test/roads")
    assert passes == [False]
    assert article.lead.startswith("Paragraph 0") and article.image == ""

    # A summary and pictures only under names `read_declared` does not use: the pass finds them,
    # and a publisher logo in the body's microdata does not replace the story's picture
    passes.clear()
    head = declared + (
        '<meta name="dc.description" content="A new loan for 300 km of roads.">'
        '<meta name="twitter:image:src" content="https://gazette.test/roads.jpg">'
    )
    logo = '<div itemprop="publisher"><meta itemprop="image" content="https://gazette.test/logo.png"></div>'
    article = extract_article(page(head, extra=logo), "https://gazette.test/roads")
    assert passes == [True]
    assert article.lead == "A new loan for 300 km of roads."
    assert article.image == "https://gazette.test/roads.jpg"

    # Without a declared author, the pass looks for a byline
    passes.clear()
    extract_article(page(declared.replace("author", "keywords")), "https://gazette.test/roads")
    assert passes == [True]


def test_microdata_time_stamps_give_the_published_and_updated_times() -> None:
    # Joomla's article layout: the stamps only as microdata on <time>, no meta tag, no JSON-LD
    html = (
        '<html lang="en-gb"><head><title>Cambodia, Korea open labour desk - Sample News</title>'
        '</head><body><div class="item-page" itemscope itemtype="https://schema.org/Article">'
        '<h2 itemprop="headline">Cambodia, Korea open labour desk</h2><dl class="article-info">'
        '<dd class="published"><time datetime="2026-11-20T09:15:00+07:00" '
        'itemprop="datePublished">20 November 2026</time></dd>'
        '<dd class="modified"><time datetime="2026-11-21T08:00:00+07:00" '
        'itemprop="dateModified">21 November 2026</time></dd></dl><div itemprop="articleBody">'
        + "<p>Cambodia and South Korea opened a joint desk for migrant workers in Phnom Penh, "
        "the labour ministry said on Friday, in a story written for this test.</p>"
        * 3
        + "</div></div></body></html>"
    )
    article = extract_article(html, "https://sample.example/en/news/1")
    assert article.published == datetime(2026, 11, 20, 2, 15, tzinfo=UTC)
    assert article.updated == datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
    assert article.date_source == "meta"
