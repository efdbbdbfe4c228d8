"""A crawl's failures in words: what it lost, read from its stats (the one line a failed outlet
shows), and any error text in a few words (a DNS failure is 800 characters of Twisted text, which
reads badly in a progress line and stretched the digest's source-health box past a phone's width).

A crawl that lost something it found is a failed crawl, whatever Scrapy's close reason: the store
refused a write (a full disk, a quota, a lost server), or ckmon's own code raised on a page or an
item (a bug: the log has the trace).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from digest.analysis.textnorm import clip
from digest.errors import ConfigError

_URL = re.compile(r"https?://([^/\s:;]+)", re.I)
_HOST = re.compile(r"\b((?:[a-z0-9-]+\.)+[a-z][a-z0-9-]+)\b", re.I)  # the first name with a dot
SHORT = 80  # what is left of an error no rule names


@dataclass(frozen=True)
class Cause:
    pattern: re.Pattern[str]
    text: str


@cache
def load_causes(path: Path | None = None) -> tuple[Cause, ...]:
    """The rules of a causes file (default: digest/data/causes.toml), read once."""
    path = path or Path(str(resources.files("digest").joinpath("data/causes.toml")))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return tuple(
            Cause(re.compile(rule["pattern"], re.I), rule["text"]) for rule in data["cause"]
        )
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, re.error) as exc:
        raise ConfigError(f"{path}: cannot read the error causes: {exc}") from exc


def short_cause(error: str, causes: tuple[Cause, ...] | None = None) -> str:
    """`error` as a cause in a few words and the host it concerns, e.g. "name did not resolve
    (www.yna.co.kr)"; an error no rule names is clipped to `SHORT` characters."""
    error = " ".join(error.split())
    if not error:
        return "see the log"
    for cause in causes if causes is not None else load_causes():
        if cause.pattern.search(error):
            host = _URL.search(error) or _HOST.search(error)
            return f"{cause.text} ({host.group(1).lower()})" if host else cause.text
    return clip(error, SHORT)


STORE_FAILED = "store_failed"  # the reason a spider is closed with when the store refuses a write
STORE_ERROR_STAT = "ckmon/store_error"  # the store's first refusal, for the run and the summary
STORE_FAILED_PREFIX = "store failed"  # how such a crawl's error begins


def store_cause(exc: BaseException) -> str:
    """The driver's own reason on one line ("database or disk is full"), without SQLAlchemy's
    statement and parameters (an article's whole text)."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines() or [type(cause).__name__]
    return lines[0][:300]


def lost_cause(stats: dict[str, Any], reason: str = "finished") -> str:
    """Why this crawl lost something it found, or "" when it lost nothing."""
    if reason == STORE_FAILED or stats.get(STORE_ERROR_STAT):
        lost = stats.get("ckmon/store_failed", 0)
        what = f" ({lost} articles not stored)" if lost else ""
        return f"{STORE_FAILED_PREFIX}: {stats.get(STORE_ERROR_STAT, 'see the log')}{what}"
    errors = stats.get("spider_exceptions/count", 0) + stats.get("ckmon/item_errors", 0)
    if errors:
        return f"{errors} errors in ckmon's code, pages or articles lost (see the log's traces)"
    return ""
