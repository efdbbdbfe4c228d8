"""An outlet's crawl error in a few words: a DNS failure is 800 characters of Twisted text, which
reads badly in a progress line and stretched the digest's source-health box past a phone's width."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

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
