"""Is an article about Cambodia–Korea relations? A score and the evidence behind it.

Both countries must be present in a meaningful way. The text is read sentence by sentence:
- a mention in the title or lead weighs more than one in the body, and body mentions count once
  per sentence, with diminishing returns (a long list is still one mention);
- a mention inside a list of other countries ("China, Japan, South Korea and Cambodia") barely
  counts: export tables, arrivals by nationality and ASEAN+3 communiqués name everyone;
- North Korea, the Korean Peninsula and similar phrases are blanked before South Korea is looked for
  (the evidence lists them as masked);
- both countries in one sentence (not as list items) is strong evidence of a relation;
- on pages about a multilateral meeting (ASEAN, G20, ...), Cambodia as the venue ("in Phnom Penh")
  is not a Cambodian angle.
Terms match as substrings in Hangul and Khmer (particles attach; Khmer has no spaces) and as whole
words in Latin script; see `digest.analysis.rules`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from digest.analysis.rules import JOINER, Zones, compile_terms, join, matches, split_zones
from digest.errors import ConfigError

COUNTRIES = ("cambodia", "korea")
DEFAULT_WEIGHTS = {
    "title": 3.0,
    "lead": 2.0,
    "body": 1.0,  # the first body sentence naming the country
    "body_more": 0.5,  # each further body sentence
    "body_cap": 2.5,  # body sentences beyond this add nothing
    "listed": 0.25,  # a mention among other countries, per sentence
    "proximity": 1.5,  # per sentence naming both countries (at most two count)
    "threshold": 3.0,  # each country needs at least this much, unless they share sentences
    "near_min": 1.0,  # with a shared sentence, the weaker country needs this much
    "list_others": 2,  # a sentence naming this many other countries is a list
}
# Sentence ends: Latin punctuation, Khmer khan (។ ៕), line breaks; Korean sentences end in "다."
_VENUE_BEFORE = re.compile(r"\b(?:in|at)\s+(?:the\s+)?(?:[\w\-]+,?\s+){0,2}$", re.I)
_EVENT = re.compile(
    r"summit|meeting|conference|forum|held|host|ASEAN|Asean|G20|G-20|회의|정상|아세안|កិច្ចប្រជុំ"
)
_VENUE_AFTER = re.compile(r"^[\w\s,]{0,12}?(?:에서|에\s)")


@dataclass(frozen=True)
class RelevanceRules:
    """Compiled alias lists and weights from a rule file."""

    patterns: dict[str, re.Pattern[str]]
    north_korea: re.Pattern[str] | None
    weights: dict[str, float]
    others: re.Pattern[str] | None = None
    multilateral: re.Pattern[str] | None = None


@dataclass
class Relevance:
    relevant: bool
    score: float
    evidence: list[dict[str, Any]] = field(default_factory=list)


def load_rules(path: Path | None = None) -> RelevanceRules:
    """Read a relevance rule file (default: the one shipped in digest/data)."""
    path = path or Path(str(resources.files("digest").joinpath("data/relevance.toml")))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read relevance rules: {exc}") from exc
    patterns = {}
    for country in COUNTRIES:
        table = data.get(country)
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [{country}] with en/ko/km term lists is required")
        pattern = compile_terms(t for terms in table.values() for t in _terms(path, country, terms))
        if pattern is None:
            raise ConfigError(f"{path}: [{country}] has no terms")
        patterns[country] = pattern
    weights = dict(DEFAULT_WEIGHTS)
    for key, value in data.get("weights", {}).items():
        if key not in DEFAULT_WEIGHTS or not isinstance(value, int | float):
            raise ConfigError(f"{path}: [weights] {key} is not a known number setting")
        weights[key] = float(value)

    def table(name: str) -> re.Pattern[str] | None:
        entry = data.get(name, {})
        return compile_terms(t for terms in entry.values() for t in _terms(path, name, terms))

    masked = [t for name in ("north_korea", "not_south_korea") for t in _all(data, name)]
    return RelevanceRules(
        patterns=patterns,
        north_korea=compile_terms(masked),
        weights=weights,
        others=table("other_countries"),
        multilateral=table("multilateral"),
    )


def _terms(path: Path, table: str, terms: Any) -> list[str]:
    if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
        raise ConfigError(f"{path}: [{table}] values must be lists of strings")
    return terms


def _all(data: dict[str, Any], name: str) -> list[str]:
    return [t for terms in data.get(name, {}).values() if isinstance(terms, list) for t in terms]


def _masked(parts: list[str], pattern: re.Pattern[str] | None) -> tuple[list[str], list[str]]:
    """The sentences with matches blanked out (same length) so later patterns cannot match inside
    them, and the matches; one pass over the joined sentences, as in `matches`."""
    if pattern is None:
        return list(parts), []
    found: list[str] = []

    def blank(match: re.Match[str]) -> str:
        found.append(match.group())
        return " " * len(match.group())

    joined = JOINER.join(parts)
    if not parts or joined.count(JOINER) != len(parts) - 1:
        return [pattern.sub(blank, part) for part in parts], found
    return pattern.sub(blank, joined).split(JOINER), found


@dataclass
class _Mention:
    country: str
    zone: str
    term: str
    kind: str  # plain | listed | venue
    sentence: int


def _mentions(
    zones: dict[str, list[str]], rules: RelevanceRules, multilateral: bool
) -> list[_Mention]:
    w = rules.weights
    parts = [sentence for zone_parts in zones.values() for sentence in zone_parts]
    zone_of = [zone for zone, zone_parts in zones.items() for _ in zone_parts]
    joined = join(parts)
    hits = [
        (index, country, start, end, term)
        for country in COUNTRIES
        for index, start, end, term in matches(joined, rules.patterns[country])
    ]
    hits.sort(key=lambda hit: hit[0])  # by sentence, then country and position as found
    found = []
    listed: dict[int, bool] = {}  # looked up only for a sentence that names a country
    for index, country, start, end, term in hits:
        sentence = parts[index]
        if index not in listed:
            others = (
                {m.group().lower() for m in rules.others.finditer(sentence)}
                if rules.others
                else set()
            )
            listed[index] = len(others) >= w["list_others"]
        kind = "listed" if listed[index] else "plain"
        if kind == "plain" and multilateral and country == "cambodia" and _EVENT.search(sentence):
            before, after = sentence[:start], sentence[end:]
            if _VENUE_BEFORE.search(before) or _VENUE_AFTER.match(after):
                kind = "venue"
        found.append(_Mention(country, zone_of[index], term, kind, index + 1))
    return found


def score(
    title: str,
    text: str,
    rules: RelevanceRules,
    *,
    lead: str = "",
    bilateral: bool = False,
    zones: Zones | None = None,
) -> Relevance:
    """Weigh where and how each country is named; see the module docstring for the rules.

    An outlet that covers the relationship itself (`bilateral`) needs only one of the two, named
    in the title or lead. `zones`: the article's sentences from `split_zones`, when already split.
    """
    w = rules.weights
    raw = zones if zones is not None else split_zones(title, text, lead)
    masked_terms: dict[str, list[str]] = {}
    masked_zones: dict[str, list[str]] = {}
    for zone, parts in raw.items():
        masked_zones[zone], masked_terms[zone] = _masked(parts, rules.north_korea)
    head = " ".join(masked_zones["title"] + masked_zones["lead"])
    multilateral = bool(rules.multilateral and rules.multilateral.search(head))
    mentions = _mentions(masked_zones, rules, multilateral)

    weight = dict.fromkeys(COUNTRIES, 0.0)
    evidence: list[dict[str, Any]] = []
    for country in COUNTRIES:
        mine = [m for m in mentions if m.country == country]
        plain = [m for m in mine if m.kind == "plain"]
        total = 0.0
        for zone in ("title", "lead"):
            if any(m.zone == zone for m in plain):
                total += w[zone]
            elif any(m.zone == zone for m in mine):
                total += w["listed"]
        body_sentences = sorted({m.sentence for m in plain if m.zone == "body"})
        if body_sentences:
            total += min(w["body_cap"], w["body"] + w["body_more"] * (len(body_sentences) - 1))
        weak = {m.sentence for m in mine if m.kind != "plain"} - {m.sentence for m in plain}
        total += min(2, len(weak)) * w["listed"]
        weight[country] = total
        for zone in ("title", "lead", "body"):
            for kind in ("plain", "listed", "venue"):
                terms = sorted({m.term for m in mine if m.zone == zone and m.kind == kind})
                if terms:
                    item = {"country": country, "where": zone, "terms": terms}
                    if kind != "plain":
                        item["as"] = kind
                    evidence.append(item)
    if rules.north_korea is not None:  # say what was set aside: "why not?" often ends here
        for zone in raw:
            masked = sorted(set(masked_terms[zone]))
            if masked:
                evidence.append(
                    {"country": "not_south_korea", "where": zone, "terms": masked, "as": "masked"}
                )
    shared = sorted(
        {m.sentence for m in mentions if m.country == "cambodia" and m.kind == "plain"}
        & {m.sentence for m in mentions if m.country == "korea" and m.kind == "plain"}
    )
    if shared:
        evidence.append(
            {"country": "both", "where": "same sentence", "terms": [f"{len(shared)} sentence(s)"]}
        )
    total = sum(weight.values()) + w["proximity"] * min(2, len(shared))
    if bilateral:  # the outlet covers the relationship: one country up front is enough
        relevant = max(weight.values()) >= w["lead"]
    else:
        relevant = all(v >= w["threshold"] for v in weight.values()) or bool(
            shared
            and min(weight.values()) >= w["near_min"]
            and sum(weight.values()) >= w["threshold"]
        )
        if relevant and multilateral and not _cambodian_angle(mentions):
            relevant = False
            evidence.append(
                {"country": "cambodia", "where": "multilateral", "terms": ["venue or list only"]}
            )
    return Relevance(relevant=relevant, score=round(total, 2), evidence=evidence)


def _cambodian_angle(mentions: list[_Mention]) -> bool:
    """On a multilateral page: Cambodia in the title, or in two sentences beyond venue and lists."""
    plain = [m for m in mentions if m.country == "cambodia" and m.kind == "plain"]
    return any(m.zone == "title" for m in plain) or len({m.sentence for m in plain}) >= 2
