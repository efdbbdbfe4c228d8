"""Topic tags from an editable taxonomy: multi-label, in English, Korean and Khmer.

Each topic lists `terms` (specific: "migrant workers", "고용허가제") and optional `weak` terms
(suggestive only: "visa", "students"). A topic's score adds, per sentence, 1 for a specific term
or 0.5 for a weak one, times the zone weight (title 2, lead 1, body 0.5; the body adds at most
`body_cap`). Every topic reaching `min_score` applies, so a specific term in the title is enough,
while a weak term needs support elsewhere.

Where terms of two topics overlap, the longer one claims the words: "Korean language test" is
labour migration, not also the "Korean language" of education; "development cooperation" is aid,
not also the "cooperation" of diplomacy.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from digest.analysis.rules import (
    JOINER,
    UNSCREENED,
    Zones,
    compile_terms,
    join,
    matches,
    split_zones,
    term_keys,
)
from digest.analysis.textnorm import normalize
from digest.errors import ConfigError

OTHER = "other"  # the section of stories no topic applies to
ZONE_WEIGHT = {"title": 2.0, "lead": 1.0, "body": 0.5}


@dataclass(frozen=True)
class Topic:
    strong: re.Pattern[str]
    weak: re.Pattern[str] | None = None
    # `digest.analysis.rules.term_keys` of the two term lists: a text without any cannot match the pattern
    strong_keys: tuple[str, ...] | None = None
    weak_keys: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Taxonomy:
    topics: dict[str, Topic]
    min_score: float = 1.5
    body_cap: float = 1.5
    labels: dict[str, str] = field(default_factory=dict)  # topic (and "other") -> its heading


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Read a topic file (default: the one shipped in digest/data)."""
    path = path or Path(str(resources.files("digest").joinpath("data/topics.toml")))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read topics: {exc}") from exc
    topics = {}
    labels = {OTHER: _label(path, data, "other_label", OTHER)}
    for name, table in data.items():
        if not isinstance(table, dict):
            continue
        labels[name] = _label(path, table, "label", name)
        for key in ("terms", "weak"):
            terms = table.get(key, [])
            if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
                raise ConfigError(f"{path}: [{name}] {key} must be a list of strings")
        strong = compile_terms(table.get("terms", []))
        if strong is None:
            raise ConfigError(f"{path}: [{name}] needs a non-empty 'terms' list")
        weak = table.get("weak", [])
        topics[name] = Topic(
            strong=strong,
            weak=compile_terms(weak),
            strong_keys=term_keys(table.get("terms", [])),
            weak_keys=term_keys(weak),
        )
    return Taxonomy(
        topics=topics,
        min_score=float(data.get("min_score", 1.5)),
        body_cap=float(data.get("body_cap", 1.5)),
        labels=labels,
    )


def _label(path: Path, table: dict[str, object], key: str, name: str) -> str:
    label = table.get(key, name.replace("-", " ").capitalize())
    if not isinstance(label, str) or not label.strip():
        raise ConfigError(f"{path}: {key!r} of {name!r} must be a non-empty string")
    return label


@cache
def topic_labels(path: Path | None = None) -> dict[str, str]:
    """The headings of a topic file's topics and of "other", read once per file: the digest shows
    the labels of the taxonomy that tagged the stories."""
    return load_taxonomy(path).labels


def topic_scores(
    title: str, text: str, taxonomy: Taxonomy, *, lead: str = "", zones: Zones | None = None
) -> dict[str, float]:
    """Each topic's score (see the module docstring); topics without any term are left out.

    `zones`: the article's sentences from `digest.analysis.relevance.split_zones`, when already split."""
    zones = zones if zones is not None else split_zones(title, text, lead)
    points = {name: dict.fromkeys(zones, 0.0) for name in taxonomy.topics}
    zone_of = [zone for zone, zone_parts in zones.items() for _ in zone_parts]
    for index, found in _sentence_hits(zones, taxonomy).items():
        for name, value in found.items():
            points[name][zone_of[index]] += value
    scores: dict[str, float] = {}
    for name, by_zone in points.items():
        total = 0.0
        for zone, value in by_zone.items():
            value *= ZONE_WEIGHT[zone]
            total += min(value, taxonomy.body_cap) if zone == "body" else min(value, 4.0)
        if total:
            scores[name] = round(total, 2)
    return scores


def _sentence_hits(zones: Zones, taxonomy: Taxonomy) -> dict[int, dict[str, float]]:
    """The points per topic of each sentence (numbered through the zones) that names a topic term:
    1 for a specific term, else 0.5 for a weak one, a match inside a longer match of another topic
    not counting. Each pattern runs once over all sentences (`digest.analysis.relevance.matches`)."""
    joined = join([sentence for zone_parts in zones.values() for sentence in zone_parts])
    lowered = (joined.text or JOINER.join(joined.parts)).lower()
    screen = not any(c in lowered for c in UNSCREENED)
    by_sentence: dict[int, list[tuple[str, float, int, int]]] = {}
    for name, topic in taxonomy.topics.items():
        for pattern, value, keys in (
            (topic.strong, 1.0, topic.strong_keys),
            (topic.weak, 0.5, topic.weak_keys),
        ):
            if screen and keys is not None and not any(key in lowered for key in keys):
                continue  # no term can match (`digest.analysis.rules.term_keys`)
            if pattern is not None:
                for index, start, end, _ in matches(joined, pattern):
                    by_sentence.setdefault(index, []).append((name, value, start, end))
    return {index: _claim(hits) for index, hits in by_sentence.items()}


def _claim(hits: list[tuple[str, float, int, int]]) -> dict[str, float]:
    """Each topic's best value among one sentence's hits not inside a longer hit of another."""
    found: dict[str, float] = {}
    first = hits[0][0] if hits else ""
    if all(name == first for name, _, _, _ in hits):  # one topic: nothing to claim from
        if hits:
            found[first] = max(value for _, value, _, _ in hits)
        return found
    for name, value, start, end in hits:
        claimed = any(
            other != name and s <= start and end <= e and e - s > end - start
            for other, _, s, e in hits
        )
        if not claimed:
            found[name] = max(found.get(name, 0.0), value)
    return found


def tag(
    title: str, text: str, taxonomy: Taxonomy, *, lead: str = "", zones: Zones | None = None
) -> list[str]:
    """Every topic whose score reaches the taxonomy's `min_score`, in taxonomy order.

    When none does, the best-scoring topic applies alone: an article always belongs somewhere
    if any of its sentences names a topic term. Between topics of equal score, the one with more
    distinct specific terms wins (a sentence naming a job scam and confinement is about crime
    more than one naming the foreign ministry is about diplomacy), then taxonomy order.
    """
    scores = topic_scores(title, text, taxonomy, lead=lead, zones=zones)
    found = [name for name in taxonomy.topics if scores.get(name, 0.0) >= taxonomy.min_score]
    if not found and scores:
        best = max(scores.values())
        tied = [name for name in taxonomy.topics if scores.get(name) == best]
        if len(tied) > 1:
            whole = normalize(f"{title}\n{lead}\n{text}")
            terms = {name: _distinct_terms(taxonomy.topics[name], whole) for name in tied}
            tied = [max(tied, key=lambda name: terms[name])]  # max keeps the first of equals
        found = tied[:1]
    return found


def _distinct_terms(topic: Topic, text: str) -> int:
    return len({match.group(0).lower() for match in topic.strong.finditer(text)})
