"""The [scrapy] table: every setting checked against the type of its default before a crawl starts.

Scrapy's default settings module and ckmon's own settings module (`spiders.settings`, read as data
by name, as Scrapy reads it) give a default for each known setting; a value must be of that
default's kind. A name Scrapy does not know is let through (extensions read their own settings),
unless it is close to a known one: that is a typo.
"""

from __future__ import annotations

import difflib
import importlib
import math
import re
from functools import cache
from types import ModuleType
from typing import Any

SETTINGS_MODULE = "spiders.settings"
_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")

# Set by ckmon from its own tables after [scrapy] is applied: here they would be overridden silently.
RESERVED = {
    "USER_AGENT": "[crawl] contact_url",
    "CKMON_DATABASE_URL": "[store] url",
    "CKMON_BACKFILL_DAYS": "[crawl] backfill_days",
    "CKMON_ALLOW_PRIVATE_ADDRESSES": "[crawl] allow_private_addresses",
    "CKMON_RELEVANCE_RULES": "[relevance] rules",
    "CKMON_TOPICS": "[topics] file",
}
# Numbers are never negative, except priorities (Scrapy's RETRY_PRIORITY_ADJUST is -1); these
# must also be more than 0.
_POSITIVE = {"DOWNLOAD_TIMEOUT", "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN"}

_KINDS = {
    "bool": "true or false",
    "number": "a number",
    "str": "a string",
    "list": "a list (or a comma-separated string)",
    "dict": "a table",
}


def _kind(default: Any) -> str | None:
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int | float):
        return "number"
    if isinstance(default, str):
        return "str"
    if isinstance(default, dict):
        return "dict"
    if isinstance(default, list | tuple):
        return "list"
    return None  # None or an object: Scrapy takes several kinds


def _settings_of(module: ModuleType) -> dict[str, Any]:
    return {name: getattr(module, name) for name in dir(module) if _NAME.match(name)}


@cache
def known_settings() -> dict[str, str | None]:
    """Each setting Scrapy or ckmon declares, with the kind of value it takes (None: any)."""
    from scrapy.settings import default_settings

    kinds: dict[str, str | None] = {}
    for module in (default_settings, importlib.import_module(SETTINGS_MODULE)):
        for name, default in _settings_of(module).items():
            kind = _kind(default)
            kinds[name] = kind if kinds.get(name, kind) == kind else None
    return kinds


def _fits(kind: str, value: Any) -> bool:
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "list":
        return isinstance(value, list | str)
    return isinstance(value, dict)


def shown(value: Any) -> str:
    """A value as an error message shows it: on one line, and short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def quoted(name: str) -> str:
    """A key or table name as a message shows it: quoted, escaped, short."""
    return shown(name)


def check_scrapy(table: dict[str, Any]) -> dict[str, Any]:
    """The [scrapy] table as given, or ValueError naming the first bad setting."""
    if not table:
        return table
    known = known_settings()
    for name, value in table.items():
        if not _NAME.match(name):
            hint = f"; did you mean '{name.upper()}'?" if name.upper() in known else ""
            raise ValueError(f"{quoted(name)} is not a Scrapy setting name (upper case){hint}")
        if name in RESERVED:
            raise ValueError(f"'{name}' is set by ckmon from {RESERVED[name]}: set it there")
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.85)
            if close:
                raise ValueError(f"unknown setting {quoted(name)}; did you mean '{close[0]}'?")
            continue
        kind = known[name]
        if kind is not None and not _fits(kind, value):
            raise ValueError(
                f"'{name}' must be {_KINDS[kind]} (as Scrapy's setting is), got {shown(value)}"
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"'{name}' must be a finite number, got {value}")
        if kind == "number" and "PRIORITY" not in name:
            low = "more than 0" if name in _POSITIVE else "0 or more"
            if value < 0 or (name in _POSITIVE and value == 0):
                raise ValueError(f"'{name}' must be {low}, got {value}")
    return table
