"""The digest as HTML (CSS inlined for mail clients) and plain text, from `templates/`.

A mail's HTML part must stay under the size at which Gmail clips it; a long week therefore shows
the top stories of each section in the mail and links to the full edition page.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import css_inline
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape

from digest.analysis.textnorm import clip
from digest.analysis.topics import topic_labels as shipped_topic_labels
from digest.deliver.edition import EditionView, Story
from digest.deliver.mail import address_of

LANG_LABELS = {"en": "EN", "ko": "KO", "km": "KM"}
LANG_NAMES = {"en": "English", "ko": "Korean", "km": "Khmer"}
log = logging.getLogger(__name__)

# Styles go into style attributes (mail clients drop <style>); the layout needs no media query,
# which css-inline would drop unless told to keep at-rules. Nothing is fetched from elsewhere.
INLINER = css_inline.CSSInliner(load_remote_stylesheets=False)
FEED_NAME = "editions.atom"
INDEX_NAME = "index.html"

# Stories kept per section when the mail must shrink, tried in this order (None: all of them).
SECTION_LIMITS: tuple[int | None, ...] = (None, 8, 5, 3, 2, 1, 0)


@dataclass
class Section:
    topic: str
    stories: list[Story]
    more: int = 0  # stories left out of the mail, shown on the full page


@dataclass
class Rendered:
    html: str
    text: str
    shortened: bool = False


@pass_context
def _date(ctx: Any, when: datetime | None) -> str:
    return when.astimezone(ctx["e"].timezone).strftime("%d %b %Y") if when else ""


@pass_context
def _datetime(ctx: Any, when: datetime) -> str:
    return when.astimezone(ctx["e"].timezone).strftime("%d %b %Y %H:%M %Z")


@pass_context
def _topic(ctx: Any, topic: str) -> str:
    return ctx["topic_labels"].get(topic, topic.replace("-", " ").capitalize())


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one Jinja environment: autoescape for HTML, undefined names are errors."""
    env = Environment(
        loader=PackageLoader("templates", ""),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["topic"] = _topic
    env.filters["lang"] = lambda code: LANG_LABELS.get(code, (code or "?").upper())
    env.filters["language"] = lambda code: LANG_NAMES.get(code, code or "unknown")
    env.filters["clip"] = clip
    env.filters["date"] = _date
    env.filters["datetime"] = _datetime
    return env


# The mail's CSS comes from the template only: a stylesheet link is never fetched (css-inline
# loads remote stylesheets by default, by its own network code, past the address guard).
INLINER = css_inline.CSSInliner(load_remote_stylesheets=False)


def page_name(key: str) -> str:
    """The archive file name of an edition's page."""
    return f"ckmon-{key}.html"


@dataclass
class IndexEntry:
    """One edition in the archive's index, its dates already written in the edition's zone."""

    key: str
    page: str
    stories: int
    since: str
    until: str


def render_index(entries: list[IndexEntry]) -> str:
    """The archive's index page: every edition, newest first, for readers who want an old one."""
    html = environment().get_template("index.html.j2").render(editions=entries, feed_name=FEED_NAME)
    return str(INLINER.inline(html))


def _contact(reply_to: str, sender: str) -> str:
    """Where a reader writes to stop the mail: the reply address, else the sender's; none at a
    `localhost` address (the default sender), which no reader can write to."""
    address = address_of(reply_to or sender)
    return "" if address.rpartition("@")[2].lower() in ("", "localhost") else address


def _sections(view: EditionView, limit: int | None) -> list[Section]:
    return [
        Section(topic, stories[:limit], len(stories) - len(stories[:limit]))
        for topic, stories in view.sections.items()
    ]


def _render(
    view: EditionView,
    *,
    generated: datetime,
    limit: int | None,
    mode: str,
    page_url: str,
    unsubscribe: str,
    reply_to: str,
    sender: str,
    archive_url: str,
    notice: str,
    topic_labels: Mapping[str, str] | None,
) -> Rendered:
    env = environment()
    archive_link = f"{archive_url.rstrip('/')}/" if archive_url else ""
    sections = _sections(view, limit)
    context = {
        "e": view,
        "sections": sections,
        "generated": generated,
        "mode": mode,
        "page_url": page_url,
        "page_name": page_name(view.key),
        "shortened": any(s.more for s in sections),
        "unsubscribe": unsubscribe,
        "reply_to": reply_to,
        "contact": _contact(reply_to, sender),
        "archive_link": archive_link,
        "feed_link": f"{archive_link}{FEED_NAME}" if archive_link else "",
        "feed_name": FEED_NAME,
        "index_name": INDEX_NAME,
        "notice": notice,
        "topic_labels": topic_labels if topic_labels is not None else shipped_topic_labels(),
    }
    html = env.get_template("digest.html.j2").render(context)
    text = env.get_template("digest.txt.j2").render(context)
    return Rendered(INLINER.inline(html), text, bool(context["shortened"]))


def render(
    view: EditionView,
    *,
    generated: datetime,
    page_url: str = "",
    unsubscribe: str = "",
    reply_to: str = "",
    sender: str = "",
    archive_url: str = "",
    notice: str = "",
    topic_labels: Mapping[str, str] | None = None,
) -> tuple[str, str]:
    """(html, text) of the whole edition, as the archive page shows it; CSS inlined."""
    full = _render(
        view,
        generated=generated,
        limit=None,
        mode="page",
        page_url=page_url,
        unsubscribe=unsubscribe,
        reply_to=reply_to,
        sender=sender,
        archive_url=archive_url,
        notice=notice,
        topic_labels=topic_labels,
    )
    return full.html, full.text


def render_mail(
    view: EditionView,
    *,
    generated: datetime,
    budget: int,
    page_url: str = "",
    unsubscribe: str = "",
    reply_to: str = "",
    sender: str = "",
    archive_url: str = "",
    notice: str = "",
    topic_labels: Mapping[str, str] | None = None,
) -> Rendered:
    """The mail's parts: the whole edition if its HTML fits in `budget` bytes, else fewer stories
    per section (top stories always stay) with links to the full page."""
    rendered = None
    for limit in SECTION_LIMITS:
        rendered = _render(
            view,
            generated=generated,
            limit=limit,
            mode="mail",
            page_url=page_url,
            unsubscribe=unsubscribe,
            reply_to=reply_to,
            sender=sender,
            archive_url=archive_url,
            notice=notice,
            topic_labels=topic_labels,
        )
        if len(rendered.html.encode("utf-8")) <= budget:
            return rendered
    assert rendered is not None  # SECTION_LIMITS is not empty
    log.warning("digest %s: the mail's HTML exceeds %d bytes even shortened", view.key, budget)
    return rendered
