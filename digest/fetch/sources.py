"""The outlet registry: outlets are data, declared once in a TOML file and validated when loaded."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlsplit

from digest.errors import ConfigError, did_you_mean

LANGS = ("en", "ko", "km")
# kind = the outlet's main discovery method. feed/sitemap/listing outlets may declare the other two
# methods as well (all are used); gnews and gdelt are search aggregators driven by `queries`.
KINDS = ("feed", "sitemap", "listing", "gnews", "gdelt")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

GNEWS_ENDPOINT = "https://news.google.com/rss/search"
GDELT_ENDPOINT = "https://api.gdeltproject.org/api/v2/doc/doc"
# Google News edition parameters per language: hl, gl, ceid.
GNEWS_EDITIONS = {
    "en": ("en-US", "US", "US:en"),
    "ko": ("ko", "KR", "KR:ko"),
    "km": ("km", "KH", "KH:km"),
}
# GDELT's sourcelang names for the query operator.
GDELT_LANGS = {"en": "english", "ko": "korean", "km": "khmer"}


@dataclass(frozen=True)
class Listing:
    """A section or search page whose links to articles match `pattern` (a regular expression)."""

    url: str
    pattern: str


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
    sitemaps: tuple[str, ...] = ()
    listings: tuple[Listing, ...] = ()
    queries: tuple[str, ...] = ()
    endpoint: str = ""  # aggregators: the search API's address (default: the public one)
    delay: float = 0.0  # least seconds between requests to its discovery hosts (an API's limit)

    @property
    def discovery_urls(self) -> tuple[str, ...]:
        """Every URL a crawl of this outlet starts from."""
        if self.kind == "gnews":
            return tuple(gnews_url(q, self.lang, self.endpoint) for q in self.queries)
        if self.kind == "gdelt":
            return tuple(gdelt_url(q, self.lang, self.endpoint) for q in self.queries)
        return self.feeds + self.sitemaps + tuple(listing.url for listing in self.listings)


def host_delays(sources: Iterable[Source]) -> dict[str, float]:
    """The longest `delay` an outlet asks for each host of its discovery URLs (host names, no
    port): what the crawl's per-host gate and `ckmon check --live` both keep to."""
    delays: dict[str, float] = {}
    for source in sources:
        if source.delay:
            for url in source.discovery_urls:
                host = urlsplit(url).hostname or ""
                delays[host] = max(delays.get(host, 0.0), source.delay)
    return delays


def gnews_url(query: str, lang: str, endpoint: str = "") -> str:
    """A Google News RSS search in the edition of `lang`."""
    hl, gl, ceid = GNEWS_EDITIONS[lang]
    return f"{endpoint or GNEWS_ENDPOINT}?q={quote_plus(query)}&hl={hl}&gl={gl}&ceid={ceid}"


def gdelt_url(query: str, lang: str, endpoint: str = "", timespan: str = "7d") -> str:
    """A GDELT DOC 2.0 article list as JSON, limited to the language of `lang`."""
    full = f"{query} sourcelang:{GDELT_LANGS[lang]}"
    return (
        f"{endpoint or GDELT_ENDPOINT}?query={quote_plus(full)}&mode=ArtList&format=json"
        f"&maxrecords=75&sort=DateDesc&timespan={timespan}"
    )


def default_sources_path() -> Path:
    """The registry shipped with ckmon (spiders/sources.toml), read as package data."""
    return Path(str(resources.files("spiders").joinpath("sources.toml")))


def _http_url(value: Any, where: str) -> str:
    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https"):
        raise ConfigError(f"{where}: {value!r} is not an http(s) URL")
    if not urlsplit(value).hostname:
        raise ConfigError(f"{where}: {value!r} has no host")
    return value


def _css(selector: str, where: str) -> str:
    """A selector soupsieve (BeautifulSoup's engine, which extraction uses) can compile."""
    import soupsieve

    try:
        soupsieve.compile(selector)
    except (soupsieve.SelectorSyntaxError, NotImplementedError) as exc:  # ::before and the like
        reason = str(exc).splitlines()[0]
        raise ConfigError(f"{where}: {selector!r} is not a CSS selector ({reason})") from exc
    return selector


def _url_list(entry: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"{where}: '{key}' must be a list of URLs")
    return tuple(_http_url(u, f"{where} {key}") for u in value)


def _listings(entry: dict[str, Any], where: str) -> tuple[Listing, ...]:
    value = entry.get("listings", [])
    if not isinstance(value, list):
        raise ConfigError(f"{where}: 'listings' must be a list of {{url, pattern}} tables")
    found = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"url", "pattern"}:
            raise ConfigError(f"{where}: each of 'listings' needs exactly 'url' and 'pattern'")
        try:
            re.compile(item["pattern"])
        except (re.error, TypeError) as exc:
            raise ConfigError(f"{where} listings: bad pattern {item['pattern']!r}: {exc}") from exc
        found.append(Listing(_http_url(item["url"], f"{where} listings"), item["pattern"]))
    return tuple(found)


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
    kind = entry["kind"]
    if kind not in KINDS:
        raise ConfigError(f"{where}: 'kind' must be one of {', '.join(KINDS)}")
    feeds = _url_list(entry, "feeds", where)
    sitemaps = _url_list(entry, "sitemaps", where)
    listings = _listings(entry, where)
    queries = entry.get("queries", [])
    if not isinstance(queries, list) or not all(isinstance(q, str) and q for q in queries):
        raise ConfigError(f"{where}: 'queries' must be a list of search strings")
    main = {"feed": feeds, "sitemap": sitemaps, "listing": listings}.get(kind, queries)
    key = {"feed": "feeds", "sitemap": "sitemaps", "listing": "listings"}.get(kind, "queries")
    if not main:
        raise ConfigError(f"{where}: '{key}' must be a non-empty list for kind '{kind}'")
    if kind in ("gnews", "gdelt") and (feeds or sitemaps or listings):
        raise ConfigError(f"{where}: kind '{kind}' takes 'queries', not feeds/sitemaps/listings")
    endpoint = entry.get("endpoint", "")
    if endpoint:
        endpoint = _http_url(endpoint, f"{where} endpoint")
    for flag in ("bilateral", "enabled"):
        if flag in entry and not isinstance(entry[flag], bool):
            raise ConfigError(f"{where}: '{flag}' must be true or false")
    delay = entry.get("delay", 0.0)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 600:
        raise ConfigError(f"{where}: 'delay' must be a number of seconds from 0 to 600")
    selectors = entry.get("selectors", {})
    if not isinstance(selectors, dict) or not all(isinstance(v, str) for v in selectors.values()):
        raise ConfigError(f"{where}: 'selectors' must be a table of CSS selectors")
    for key, selector in selectors.items():
        _css(selector, f"{where} selectors.{key}")
    return Source(
        name=name,
        title=entry["title"],
        lang=entry["lang"],
        home=_http_url(entry["home"], f"{where} home"),
        kind=kind,
        feeds=feeds,
        country=str(entry.get("country", "intl")),
        bilateral=entry.get("bilateral", False),
        origin=str(entry.get("origin", "")),
        enabled=entry.get("enabled", True),
        selectors=dict(selectors),
        sitemaps=sitemaps,
        listings=listings,
        queries=tuple(queries),
        endpoint=endpoint,
        delay=float(delay),
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


def check_names(names: Iterable[str], registry: dict[str, Source]) -> None:
    """Raise `ConfigError` naming each outlet not in `registry`, with the name it likely meant."""
    unknown = sorted(set(names) - set(registry))
    if unknown:
        named = ", ".join(f"{n!r}{did_you_mean(n, registry)}" for n in unknown)
        raise ConfigError(f"unknown outlet {named}; the outlets: `ckmon sources`")
