"""Topic tags from an editable taxonomy: multi-label, in English, Korean and Khmer.

Each topic lists `terms` (specific: "migrant workers", "고용허가제") and optional `weak` terms
(suggestive only: "visa", "students"). A topic's score adds, per sentence, 1 for a specific term
or 0.5 for a weak one, times the zone weight (title 2, lead 1, body 0.5; the body adds at most
`body_cap`). Every topic reaching `min_score` applies, so a specific term in the title is enough,
while a weak term needs support elsewhere.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from digest.errors import ConfigError
from digest.relevance import LEAD_CHARS, sentences
from digest.rules import compile_terms
from digest.textnorm import normalize

ZONE_WEIGHT = {"title": 2.0, "lead": 1.0, "body": 0.5}


@dataclass(frozen=True)
class Topic:
    strong: re.Pattern[str]
    weak: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Taxonomy:
    topics: dict[str, Topic]
    min_score: float = 1.5
    body_cap: float = 1.5


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Read a topic file (default: the one shipped in digest/data)."""
    path = path or Path(str(resources.files("digest").joinpath("data/topics.toml")))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read topics: {exc}") from exc
    topics = {}
    for name, table in data.items():
        if not isinstance(table, dict):
            continue
        for key in ("terms", "weak"):
            terms = table.get(key, [])
            if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
                raise ConfigError(f"{path}: [{name}] {key} must be a list of strings")
        strong = compile_terms(table.get("terms", []))
        if strong is None:
            raise ConfigError(f"{path}: [{name}] needs a non-empty 'terms' list")
        topics[name] = Topic(strong=strong, weak=compile_terms(table.get("weak", [])))
    return Taxonomy(
        topics=topics,
        min_score=float(data.get("min_score", 1.5)),
        body_cap=float(data.get("body_cap", 1.5)),
    )


def topic_scores(title: str, text: str, taxonomy: Taxonomy, *, lead: str = "") -> dict[str, float]:
    """Each topic's score (see the module docstring); topics without any term are left out."""
    text, lead = normalize(text), normalize(lead)
    parts = sentences(text)
    if not lead:
        lead_parts: list[str] = []
        while parts and sum(len(p) for p in lead_parts) < LEAD_CHARS:
            lead_parts.append(parts.pop(0))
    else:
        lead_parts = sentences(lead)
    zones = {"title": sentences(normalize(title)), "lead": lead_parts, "body": parts}
    scores: dict[str, float] = {}
    for name, topic in taxonomy.topics.items():
        total = 0.0
        for zone, zone_parts in zones.items():
            points = 0.0
            for sentence in zone_parts:
                if topic.strong.search(sentence):
                    points += 1.0
                elif topic.weak is not None and topic.weak.search(sentence):
                    points += 0.5
            points *= ZONE_WEIGHT[zone]
            total += min(points, taxonomy.body_cap) if zone == "body" else min(points, 4.0)
        if total:
            scores[name] = round(total, 2)
    return scores


def tag(title: str, text: str, taxonomy: Taxonomy, *, lead: str = "") -> list[str]:
    """Every topic whose score reaches the taxonomy's `min_score`, in taxonomy order.

    When none does, the best-scoring topic applies alone: an article always belongs somewhere
    if any of its sentences names a topic term. Between topics of equal score, the one with more
    distinct specific terms wins (a sentence naming a job scam and confinement is about crime
    more than one naming the foreign ministry is about diplomacy), then taxonomy order.
    """
    scores = topic_scores(title, text, taxonomy, lead=lead)
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
