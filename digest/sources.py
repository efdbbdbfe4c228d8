"""The outlet registry: outlets are data, declared once in a TOML file and validated when loaded."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from digest.errors import ConfigError

LANGS = ("en", "ko", "km")
KINDS = ("feed",)
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Source:
    """One outlet and how to discover its articles."""

    name: str
    title: str
    lang: str
    home: str
    kind: str
    feeds: tuple[str, ...] = ()
    country: str = "intl"
    bilateral: bool = False
    origin: str = ""
    enabled: bool = True
    selectors: dict[str, str] = field(default_factory=dict)

    @property
    def discovery_urls(self) -> tuple[str, ...]:
        return self.feeds


def default_sources_path() -> Path:
    """The registry shipped with ckmon (spiders/sources.toml), read as package data."""
    return Path(str(resources.files("spiders").joinpath("sources.toml")))


def _http_url(value: Any, where: str) -> str:
    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https"):
        raise ConfigError(f"{where}: {value!r} is not an http(s) URL")
    if not urlsplit(value).hostname:
        raise ConfigError(f"{where}: {value!r} has no host")
    return value


def _parse_source(name: str, entry: Any, path: Path) -> Source:
    where = f"{path} [{name}]"
    if not _NAME.match(name):
        raise ConfigError(f"{where}: outlet names are lowercase letters, digits and _")
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: must be a table")
    known = set(Source.__dataclass_fields__) - {"name"}
    unknown = set(entry) - known
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    for key in ("title", "lang", "home", "kind"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise ConfigError(f"{where}: '{key}' is required")
    if entry["lang"] not in LANGS:
        raise ConfigError(f"{where}: 'lang' must be one of {', '.join(LANGS)}")
    if entry["kind"] not in KINDS:
        raise ConfigError(f"{where}: 'kind' must be one of {', '.join(KINDS)}")
    feeds = entry.get("feeds", [])
    if not isinstance(feeds, list) or not feeds:
        raise ConfigError(f"{where}: 'feeds' must be a non-empty list for kind 'feed'")
    for key in ("bilateral", "enabled"):
        if key in entry and not isinstance(entry[key], bool):
            raise ConfigError(f"{where}: '{key}' must be true or false")
    selectors = entry.get("selectors", {})
    if not isinstance(selectors, dict) or not all(isinstance(v, str) for v in selectors.values()):
        raise ConfigError(f"{where}: 'selectors' must be a table of CSS selectors")
    return Source(
        name=name,
        title=entry["title"],
        lang=entry["lang"],
        home=_http_url(entry["home"], f"{where} home"),
        kind=entry["kind"],
        feeds=tuple(_http_url(u, f"{where} feeds") for u in feeds),
        country=str(entry.get("country", "intl")),
        bilateral=entry.get("bilateral", False),
        origin=str(entry.get("origin", "")),
        enabled=entry.get("enabled", True),
        selectors=dict(selectors),
    )


def load_sources(path: Path | None = None) -> dict[str, Source]:
    """Load and validate the registry; `path` defaults to the shipped one."""
    path = path or default_sources_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"sources file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return {name: _parse_source(name, entry, path) for name, entry in data.items()}
