"""Canonical URLs: one story, one key, whatever link variant led to it."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from courlan import normalize_url

# Parameters that say how a reader arrived, never which page it is.
TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "_hs", "hsa_")
TRACKING_NAMES = frozenset(
    "fbclid gclid dclid gbraid wbraid msclkid yclid igshid twclid ttclid _ga _gl ref ref_src "
    "ref_url cmpid ocid ncid s_cid spm from share amp outputtype".split()
)


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
    parts = urlsplit(normalize_url(chosen))  # case, default ports, path normalisation
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if _keep(k, v))
    host = (parts.hostname or "").removeprefix("www.")
    netloc = host if parts.port in (None, 80, 443) else f"{host}:{parts.port}"
    scheme = "https" if parts.scheme in ("http", "https") else parts.scheme
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")
