"""Canonical URLs: one story, one key, whatever link variant led to it.

The key is not always a fetchable address: AMP and mobile variants are folded into the desktop form
(`m.`/`amp.`/`m-en.` hosts, `/amp` path segments, `?outputType=amp`), tracking parameters dropped,
http and https and `www.` merged. The page's own rel=canonical wins when it stays on the same site.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from courlan import normalize_url

# Parameters that say how a reader arrived, never which page it is.
TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "_hs", "hsa_", "itm_", "at_", "ga_")
TRACKING_NAMES = frozenset(
    "fbclid gclid dclid gbraid wbraid msclkid yclid igshid twclid ttclid _ga _gl ref ref_src "
    "ref_url cmpid ocid ncid s_cid spm from share amp outputtype registersource m mobile "
    "fromurl referrer src sns ito cid_source".split()
)
# Host prefixes of mobile and AMP editions: m.koreaherald.com, amp.example.com, m-en.yna.co.kr.
_MOBILE_HOST = re.compile(r"^(?:(?:m|mobile|amp|touch)\.|m-)(?=[a-z0-9-]+\.[a-z])")
# AMP path forms: /amp/…, …/amp, …/amp/, ….amp, /ampview.htm-style names are left alone.
_AMP_SEGMENT = re.compile(r"/amp(?=/|$)|\.amp(?=$|\.html?$)")


# A host name as the downloader accepts it once IDNA-encoded (Scrapy's own rule, underscore allowed).
_HOST = re.compile(r"[A-Za-z0-9._-]+")


def link_problem(url: str) -> str:
    """Why `url` is not an http(s) address a request can be made for, or "" when it is one.

    A port out of range, a space or "%" in the host, an unclosed IPv6 bracket: Python's URL
    functions raise on some, the downloader on others, and one such link in a feed cost every
    item after it. The caller skips the link and counts it instead."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on "99999999" and "abc"
    except ValueError as exc:
        return str(exc)
    if parts.scheme.lower() not in ("http", "https"):
        return f"not an http(s) address: {parts.scheme or 'no scheme'}"
    host = parts.hostname or ""
    if not host:
        return "no host"
    if port == 0:
        return "port 0"
    try:
        ipaddress.ip_address(host)
        return ""
    except ValueError:
        pass
    try:
        encoded = host.encode("idna").decode("ascii")
    except UnicodeError:
        return f"invalid host {host!r}"
    return "" if _HOST.fullmatch(encoded) else f"invalid host {host!r}"


def _keep(name: str, value: str) -> bool:
    lowered = name.lower()
    if not value:  # a bare flag such as Korea Times' "?fl" identifies nothing
        return False
    return lowered not in TRACKING_NAMES and not lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str, declared: str | None = None) -> str:
    """The key an article is stored under.

    `declared` is the page's own rel=canonical/og:url; it wins when it stays on the same site,
    since a page may not claim another outlet's story as its own.
    """
    chosen = url
    if declared:
        try:
            absolute = urljoin(url, declared.strip())
        except ValueError:  # "http://[::1": a page's own declaration is not trusted to parse
            absolute = ""
        if absolute and not link_problem(absolute) and _site(absolute) == _site(url) != "":
            chosen = absolute
    try:
        normalized = normalize_url(chosen)  # case, default ports, path normalisation
    except ValueError:  # courlan refuses some malformed addresses; keep what we were given
        normalized = chosen.strip()
    try:
        parts = urlsplit(normalized)
        port = parts.port
    except ValueError:  # a malformed address (bad port or bracket) is its own key, as given
        return normalized
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if _keep(k, v))
    host = _desktop_host((parts.hostname or "").lower())
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    scheme = "https" if parts.scheme in ("http", "https") else parts.scheme
    path = _AMP_SEGMENT.sub("", parts.path) or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def reader_link(url: str) -> str:
    """The address to show a reader: as fetched (so it still opens), minus tracking parameters.

    Not the canonical key, which may name a host or scheme the outlet does not serve."""
    parts = urlsplit(url.strip())
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if _keep(k, v)]
    if len(kept) == len(pairs):
        return url.strip()  # untouched: no re-encoding of a query that had nothing to drop
    return urlunsplit(parts._replace(query=urlencode(kept)))


def same_story_url(a: str, b: str) -> bool:
    """True when two addresses are variants of one page (same canonical key)."""
    return canonical_url(a) == canonical_url(b)


def _desktop_host(host: str) -> str:
    host = host.removeprefix("www.")
    bare = _MOBILE_HOST.sub("", host)
    if bare != host and bare.count(".") >= 1:
        # m-en.yna.co.kr → en.yna.co.kr; m.koreaherald.com → koreaherald.com
        host = bare
    return re.sub(r"^www\d*\.", "", host)


def _site(url: str) -> str:
    try:
        return _desktop_host((urlsplit(url).hostname or "").lower())
    except ValueError:
        return ""
