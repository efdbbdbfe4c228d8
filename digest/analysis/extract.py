"""HTML page → Article: what the page declares first, then trafilatura/htmldate, then outlet selectors.

Order of trust, field by field:
- title, authors, dates, image, lead: JSON-LD (NewsArticle, @graph) → OpenGraph/article:* → meta →
  trafilatura's metadata → the outlet's CSS selectors (from the registry) when all else is empty;
- body: the outlet's `body` selector when the registry gives one (it is there because generic
  extraction fails on that site), else trafilatura in precision mode, falling back to its default
  mode when precision mode throws most of the text away;
- published: declared stamp → selector → htmldate → Korean/Khmer stamps in date-like elements →
  the feed or sitemap date the caller passes; `date_source` records which one won;
- updated: declared stamp → selector → a stamp the page labels as the update ("수정", "Updated").

The stamps a page prints are read from the lxml tree trafilatura parses, in one walk shared by the
publication and the update search; BeautifulSoup is built only for the outlet's CSS selectors.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

import lxml.etree
import lxml.html
import py3langid
import trafilatura
from bs4 import BeautifulSoup
from htmldate import find_date
from soupsieve import SelectorSyntaxError
from trafilatura.metadata import METANAME_DESCRIPTION, METANAME_IMAGE
from trafilatura.utils import decode_file, load_html

from digest.analysis.article import Article
from digest.analysis.dates import (
    UPDATED_LABELS,
    ZONE_BY_LANG,
    find_dates,
    fold_digits,
    parse_date,
    parse_iso,
    plausible,
    zone_for,
)
from digest.analysis.structured import Declared, read_declared
from digest.analysis.textnorm import normalize, valid_markup
from digest.analysis.urls import canonical_url

log = logging.getLogger(__name__)

LEAD_CHARS = 400
# The meta names trafilatura's metadata takes a description or an image from
META_DESCRIPTIONS = frozenset(METANAME_DESCRIPTION | {"og:description"})
META_IMAGES = frozenset(METANAME_IMAGE)
MIN_SELECTOR_BODY = 80  # a body selector that yields less than this matched nothing useful
_TITLE_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|:|«|»|/|l)\s+")
# Elements whose strings a reader is not shown as text (BeautifulSoup's get_text leaves them out
# too): code, inert templates, ruby glosses
_UNSHOWN = ("rp", "rt", "script", "style", "template")
_SHOWN_STRINGS = lxml.etree.XPath(
    f"descendant::text()[not({' or '.join(f'ancestor::{tag}' for tag in _UNSHOWN)})]"
)
_DATEISH = re.compile(r"date|time|byline|info|write|publish|posted|meta|article_?tit", re.I)
_PUBLISHED_LABEL = re.compile(
    r"(?:written|published|posted|first published|입력|등록|기사입력|게재|ចុះផ្សាយ|ផ្សាយ)\s*(?:on|at)?\s*[:：]?\s*",
    re.I,
)
# A stamp after its label, up to the year and an optional time ("Feb 18, 2020", "2025.10.15 09:00"):
# what follows in the same element (scripts, other labels) would confuse the date parser.
_STAMP = re.compile(
    r".{0,30}?(?<!\d)(?:19|20)\d{2}(?!\d)(?:[^\d\n]{0,3}\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AP]M)?)?",
    re.I,
)
_UPDATED_LABEL = re.compile(
    # Not inside a Latin or Hangul word: 수정 is also a given name (김수정); 기사수정 and 최종수정 are
    # labels of their own. Khmer, written without spaces, may run into a label.
    rf"(?<![A-Za-z가-힣])(?:{'|'.join(UPDATED_LABELS)})\s*(?:on|at)?\s*[:：]?\s*",
    re.I,
)
# Byline noise after a name: date labels, stamps, e-mail addresses; Korean role words after it.
_AUTHOR_TAIL = re.compile(
    r"(?:^|\s+)(?:입력|등록|수정|기사입력|승인|업데이트|posted|published|updated)\b.*$"
    r"|\s*(?:\d{4}\s*[.\-/년]|\S+@\S+).*$",
    re.I | re.S,
)
_KO_ROLE = re.compile(r"\s*(?:선임|수석|전문)?(?:기자|특파원|객원기자)$")
SELECTOR_NAMES = {
    "title": "title",
    "body": "body",
    "text": "body",
    "date": "published",
    "published": "published",
    "updated": "updated",
    "author": "authors",
    "authors": "authors",
    "lead": "lead",
}


def extract_article(
    html: str | bytes,
    url: str,
    selectors: dict[str, str] | None = None,
    *,
    fallback_published: datetime | None = None,
    fallback_source: str = "feed",
    now: datetime | None = None,
) -> Article:
    """Extract title, authors, times, body, lead, image, language and canonical URL from a page.

    `selectors` are the outlet's CSS selectors from the registry (name → selector: title, body,
    date, author, lead). `fallback_published` is the date a feed or sitemap gave for the URL, used
    when the page itself has none (`date_source` then says `fallback_source`).
    Never raises on bad markup: what cannot be found stays empty, and the caller decides.
    """
    # Invalid code points, written or referenced, go before any parser sees them (lxml cuts a
    # text at a lone surrogate, BeautifulSoup raises on one).
    text_html = valid_markup(decode_file(html) if isinstance(html, bytes) else html)
    # One parse of the page, made as trafilatura makes it: the declared metadata, the headline and
    # the printed stamps are read from it, and both trafilatura passes start from it (each works
    # on its own copy). Its date-like elements are walked once, when a date search needs them.
    page = load_html(text_html)
    marks = cache(lambda: _date_marks(page))
    declared = read_declared(page)
    picked = _by_selectors(BeautifulSoup(text_html, "lxml"), selectors) if selectors else {}
    doc = _trafilatura(page, url, metadata=_needs_metadata(declared, picked))

    title = (
        picked.get("title") or declared.title or (doc.title if doc else "") or _first(page, "title")
    )
    title = _untruncated(title, lambda: [doc.title if doc else "", _first(page, "h1")])
    title = clean_title(title, declared.site_name, url)
    body = picked.get("body") or _body(page, url, doc)
    lead = picked.get("lead") or declared.description or (doc.description if doc else "") or ""
    lead = " ".join(lead.split()) or _first_paragraph(body)
    lang = _language(title, lead, body, declared.lang)
    published, source = _published(declared, picked, page, marks, lang, url, now)
    if published is None and fallback_published is not None:
        published, source = fallback_published, fallback_source
    authors = _authors(picked, declared, doc)
    article = Article(
        url=url,
        title=" ".join(title.split()),
        text=body.strip(),
        lead=lead,
        authors=authors,
        published=published,
        updated=_updated(declared, picked, marks, zone_for(lang, url), lang, now),
        date_source=source,
        image=declared.image or (doc.image if doc and doc.image else ""),
        lang=lang,
        canonical_url=canonical_url(url, declared.canonical or declared.url),
    )
    return article


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language (py3langid), or '' when there is no text."""
    return py3langid.classify(text)[0] if text.strip() else ""


def clean_title(title: str, site_name: str = "", url: str = "") -> str:
    """The headline without the outlet's name glued on ("… | Yonhap News Agency", "KBS WORLD")."""
    title = " ".join((title or "").split())
    host = (re.split(r"/+", url + "//")[1] or "").lower()
    site_words = {w for w in re.findall(r"\w+", f"{site_name} {host}".lower()) if len(w) > 2}
    site_words -= {"www", "com", "net", "org", "news", "co", "kr", "kh"}
    while True:
        cuts = list(_TITLE_SEPARATORS.finditer(title))
        if not cuts:
            return title
        head, tail = title[: cuts[-1].start()], title[cuts[-1].end() :]
        words = re.findall(r"\w+", tail.lower())
        squashed = "".join(w for w in words if w != "the")
        is_site = bool(words) and (
            (site_name and tail.lower() == site_name.lower())
            or (len(words) <= 6 and any(w in site_words for w in words))
            or (len(squashed) >= 5 and any(squashed in w for w in site_words))
        )
        if not is_site or len(head) < 10:
            return title
        title = head


def _untruncated(title: str, others: Callable[[], list[str]]) -> str:
    """Social-card titles are often cut ("… leader..."); a full headline elsewhere wins."""
    stem = title.rstrip(". …").strip()
    if stem == title.strip() or len(stem) < 20:
        return title
    for other in others():
        other = " ".join((other or "").split())
        if other.startswith(stem) and len(other) > len(stem) and not other.endswith(("...", "…")):
            return other
    return title


def _needs_metadata(declared: Declared, picked: dict[str, str]) -> bool:
    """Whether trafilatura's metadata can fill anything: a title or authors the page does not
    declare, a declared title cut short, or a description or image under a meta name
    `read_declared` does not use. Trafilatura reads those two from meta tags only, so a page
    without such a tag needs no metadata pass for them (about half a millisecond a page)."""
    title = picked.get("title") or declared.title
    stem = title.rstrip(". …").strip()
    cut = stem != title.strip() and len(stem) >= 20  # as `_untruncated` judges it
    if not title or cut or not (picked.get("authors") or declared.authors):
        return True
    named = declared.meta.keys()
    return bool(
        (not (picked.get("lead") or declared.description) and named & META_DESCRIPTIONS)
        or (not declared.image and named & META_IMAGES)
    )


def _trafilatura(
    tree: lxml.html.HtmlElement | None, url: str, *, metadata: bool = True
) -> trafilatura.settings.Document | None:
    """Precision mode on `tree` (trafilatura copies it); None when there is nothing to extract."""
    if tree is None:  # what trafilatura answers for a page it cannot parse
        return None
    return trafilatura.bare_extraction(
        tree, url=url, with_metadata=metadata, include_comments=False, favor_precision=True
    )


def _body(
    tree: lxml.html.HtmlElement | None, url: str, doc: trafilatura.settings.Document | None
) -> str:
    precise = (doc.text if doc else "") or ""
    full = (
        trafilatura.extract(tree, url=url, include_comments=False, fast=True)
        if tree is not None
        else ""
    ) or ""
    # Precision mode sometimes drops most of an article split into many blocks; then the
    # default mode's extra boilerplate costs less than the lost paragraphs. That second pass skips
    # trafilatura's readability/jusText comparison (`fast`): the precision pass has made it already,
    # and the benchmark's body F1 is the same (0.9667 against 0.9668) for 0.4 ms less a page.
    return full if len(precise) < 0.5 * len(full) else precise


def _first_paragraph(body: str) -> str:
    for paragraph in body.split("\n"):
        if len(paragraph.strip()) > 40:
            return paragraph.strip()[:LEAD_CHARS]
    return body[:LEAD_CHARS].strip()


LANGUAGE_SAMPLE = 400  # characters of headline, lead and body the language is guessed from


def _language(title: str, lead: str, body: str, declared: str) -> str:
    # A bounded sample: the guess costs time per byte, and more text does not change it (on the
    # 230 recorded pages and the 105 labelled corpus texts, 300 characters give the same guess as
    # 1,000, and 1,000 the same as 3,000).
    sample = normalize(f"{title}\n{lead}\n{body[:LANGUAGE_SAMPLE]}")[:LANGUAGE_SAMPLE]
    if len(sample) >= 20:
        return detect_language(sample)
    code = declared.split("-")[0].split("_")[0].lower()
    return code if re.fullmatch(r"[a-z]{2}", code) else detect_language(sample)


def _published(
    declared: Declared,
    picked: dict[str, str],
    page: lxml.html.HtmlElement | None,
    marks: Callable[[], _DateMarks],
    lang: str,
    url: str,
    now: datetime | None,
) -> tuple[datetime | None, str]:
    tz = zone_for(lang, url)
    if declared.published:
        when = parse_iso(declared.published, tz) or parse_date(declared.published, lang, tz)
        if plausible(when, now):
            return when, declared.published_from
    if picked.get("published"):
        when = parse_date(picked["published"], lang, tz)
        if plausible(when, now):
            return when, "selector"
    when = _labelled(marks().texts, _PUBLISHED_LABEL, lambda s: parse_date(s, lang, tz), now)
    if when is not None:
        return when, "page"
    if lang in ZONE_BY_LANG:  # Korean/Khmer bylines: htmldate does not read 년월일 or Khmer digits
        when = _dated_element(marks(), lang, tz, now)
        if when is not None:
            return when, "page"
    found = _htmldate(page)
    when = (parse_iso(found, tz) or parse_iso(found[:10], tz)) if found else None
    if plausible(when, now):
        return when, "htmldate"
    if lang in ZONE_BY_LANG:  # searched above already
        return None, ""
    when = _dated_element(marks(), lang, tz, now)
    return (when, "page") if when is not None else (None, "")


def _htmldate(page: lxml.html.HtmlElement | None) -> str | None:
    """htmldate's publication date of the parsed page. Only a tree is ever passed: htmldate
    downloads any text that starts with "http" (a page whose body is an internal address would
    be fetched past the address guard); given a tree, it only reads it (and copies it to prune)."""
    if not isinstance(page, lxml.html.HtmlElement):  # not an assert: must hold under python -O
        return None
    return find_date(page, outputformat="%Y-%m-%dT%H:%M:%S%z", original_date=True)


def _updated(
    declared: Declared,
    picked: dict[str, str],
    marks: Callable[[], _DateMarks],
    tz: ZoneInfo | None,
    lang: str,
    now: datetime | None,
) -> datetime | None:
    """The declared update stamp, else one the page labels as the update ("수정 2025.10.15 09:00")."""
    value = declared.updated or picked.get("updated", "")
    if value:
        return parse_iso(value, tz) or parse_date(value, default_tz=tz)
    return _labelled(marks().texts, _UPDATED_LABEL, lambda s: _update_stamp(s, lang, tz), now)


class _DateMarks(NamedTuple):
    """Where a page prints its dates: the `datetime` of each <time>, and the text of each
    date- or byline-like element (by class or id), in page order."""

    times: list[str]
    texts: list[str]


def _date_marks(tree: lxml.html.HtmlElement | None) -> _DateMarks:
    """One walk of the page for every date search: <time> stamps and date-like elements' texts.

    Texts are whitespace-collapsed and cut to 300 characters: a label's stamp comes early, and
    the rest of a long element (a whole article marked "post-meta") only costs time.
    """
    marks = _DateMarks([], [])
    if tree is None:
        return marks
    for node in tree.iter(lxml.etree.Element):
        tag = node.tag
        if tag == "time" and (stamp := node.get("datetime")) is not None:
            marks.times.append(stamp)
        if tag in _UNSHOWN or tag in ("html", "body"):
            continue
        if _DATEISH.search(f"{node.get('class') or ''} {node.get('id') or ''}"):
            marks.texts.append(" ".join(_shown_text(node).split())[:300])
    return marks


def _labelled(
    texts: Iterable[str],
    label: re.Pattern[str],
    read: Callable[[str], datetime | None],
    now: datetime | None,
) -> datetime | None:
    """The first plausible stamp after a label ("Published:", "입력", "수정", "ចុះផ្សាយ")."""
    for text in texts:
        for found in label.finditer(text):
            when = read(text[found.end() : found.end() + 60])
            if plausible(when, now):
                return when
    return None


def _update_stamp(after: str, lang: str, tz: ZoneInfo | None) -> datetime | None:
    """The stamp after an update label: numeric, Korean and Khmer forms, else the year-bounded
    text before whatever follows ("Feb 18, 2020 Share") for dateparser."""
    after = fold_digits(after)
    stamps = find_dates(after, lang, tz)
    if stamps:
        return stamps[0]
    stamp = _STAMP.match(after)
    return parse_date(stamp.group(), lang, tz) if stamp else None


def _dated_element(
    marks: _DateMarks, lang: str, tz: ZoneInfo | None, now: datetime | None
) -> datetime | None:
    """The first publication stamp in <time> or date/byline-like elements."""
    for stamp in marks.times:
        when = parse_iso(stamp, tz)
        if plausible(when, now):
            return when
    for text in marks.texts:
        for when in find_dates(text[:200], lang, tz):
            if plausible(when, now):
                return when
    return None


def _authors(
    picked: dict[str, str], declared: Declared, doc: trafilatura.settings.Document | None
) -> list[str]:
    if picked.get("authors"):
        names = re.split(r"[,;/]| and ", picked["authors"])
    elif declared.authors:
        names = declared.authors
    else:
        names = (doc.author or "").split(";") if doc else []
    return [name for name in (_author_name(n) for n in names) if name]


def _author_name(text: str) -> str:
    """A byline reduced to the name: Korean bylines run on into labels and stamps ("홍길동 기자 입력
    2025.10.14"), and name the role after the name (기자: reporter)."""
    name = _AUTHOR_TAIL.sub("", " ".join(text.split()))
    return _KO_ROLE.sub("", name).strip()


def _by_selectors(soup: BeautifulSoup, selectors: dict[str, str]) -> dict[str, str]:
    """Text for each registry selector that matches; a selector that matches nothing is logged."""
    found: dict[str, str] = {}
    for name, selector in selectors.items():
        field = SELECTOR_NAMES.get(name.lower())
        if field is None:
            log.debug("unknown selector name %r ignored", name)
            continue
        try:
            nodes = soup.select(selector)
        except SelectorSyntaxError as exc:
            log.warning("bad CSS selector %r for %s: %s", selector, name, exc)
            continue
        if field == "body":
            text = "\n".join(t for n in nodes if (t := n.get_text(" ", strip=True)))
            if len(text) >= MIN_SELECTOR_BODY:
                found[field] = text
        elif nodes:
            node = nodes[0]
            stamp = node.get("datetime") or node.get("content")
            text = stamp if isinstance(stamp, str) and field in ("published", "updated") else ""
            found[field] = text or node.get_text(" ", strip=True)
        if field not in found:
            log.info("selector %r (%s) matched nothing", selector, name)
    return found


def _shown_text(node: lxml.html.HtmlElement) -> str:
    """The node's text as BeautifulSoup's get_text(" ", strip=True) gives it: each string
    stripped and joined by spaces, without scripts, styles, templates or ruby glosses."""
    return " ".join(t for s in _SHOWN_STRINGS(node) if (t := s.strip()))


def _first(tree: lxml.html.HtmlElement | None, tag: str) -> str:
    """The text of the page's first `tag` element ("" when there is none)."""
    node = tree.find(f".//{tag}") if tree is not None else None
    return _shown_text(node) if node is not None else ""
