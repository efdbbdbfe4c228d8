"""Canonical URLs: one story, one key, whatever link variant led to it.

The key is not always a fetchable address: AMP and mobile variants are folded into the desktop form
(`m.`/`amp.`/`m-en.` hosts, `/amp` path segments, `?outputType=amp`), tracking parameters dropped,
http and https and `www.` merged. The page's own rel=canonical wins when it stays on the same site.
"""

from __future__ import annotations

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
        absolute = urljoin(url, declared.strip())
        if _site(absolute) and _site(absolute) == _site(url):
            chosen = absolute
    try:
        normalized = normalize_url(chosen)  # case, default ports, path normalisation
    except ValueError:  # courlan refuses some malformed addresses; keep what we were given
        normalized = chosen.strip()
    parts = urlsplit(normalized)
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if _keep(k, v))
    host = _desktop_host((parts.hostname or "").lower())
    netloc = host if parts.port in (None, 80, 443) else f"{host}:{parts.port}"
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
    return _desktop_host((urlsplit(url).hostname or "").lower())
