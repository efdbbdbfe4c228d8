"""The digest as HTML (CSS inlined for mail clients) and plain text, from `templates/`."""

from __future__ import annotations

from datetime import datetime

import css_inline
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from digest.edition import EditionView

TOPIC_LABELS = {
    "diplomacy": "Diplomacy",
    "trade-investment": "Trade & investment",
    "labour-migration": "Labour & migration",
    "education-culture": "Education & culture",
    "aid-development": "Aid & development",
    "scams-crime": "Scams & crime",
    "tourism-transport": "Tourism & transport",
    "security-defence": "Security & defence",
    "health": "Health",
    "asean-multilateral": "ASEAN & multilateral",
    "other": "Other coverage",
}
LANG_LABELS = {"en": "EN", "ko": "KO", "km": "KM"}


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
    env.filters["topic"] = lambda t: TOPIC_LABELS.get(t, t.replace("-", " ").capitalize())
    env.filters["lang"] = lambda code: LANG_LABELS.get(code, (code or "?").upper())
    return env


def render(view: EditionView, *, generated: datetime) -> tuple[str, str]:
    """(html, text) of one edition; the HTML has its CSS inlined."""
    env = environment()

    def local(when: datetime | None) -> str:
        return when.astimezone(view.timezone).strftime("%d %b %Y") if when else ""

    env.filters["date"] = local
    context = {"e": view, "generated": generated.astimezone(view.timezone)}
    html = env.get_template("digest.html.j2").render(context)
    text = env.get_template("digest.txt.j2").render(context)
    return css_inline.inline(html), text
