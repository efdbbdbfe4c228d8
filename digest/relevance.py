"""Is an article about Cambodia–Korea relations? A score and the evidence behind it."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from digest.errors import ConfigError
from digest.rules import compile_terms
from digest.textnorm import normalize

COUNTRIES = ("cambodia", "korea")
LEAD_CHARS = 400


@dataclass(frozen=True)
class RelevanceRules:
    """Compiled alias lists and weights from a rule file."""

    patterns: dict[str, re.Pattern[str]]
    north_korea: re.Pattern[str] | None
    weights: dict[str, float]


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
        pattern = compile_terms(t for terms in table.values() for t in terms)
        if pattern is None:
            raise ConfigError(f"{path}: [{country}] has no terms")
        patterns[country] = pattern
    nk = data.get("north_korea", {})
    weights = {
        "title": 3.0,
        "lead": 2.0,
        "body": 1.0,
        "body_cap": 3,
        "proximity": 1.5,
        "window": 250,
        "threshold": 3.0,
    }
    weights.update(data.get("weights", {}))
    return RelevanceRules(
        patterns=patterns,
        north_korea=compile_terms(t for terms in nk.values() for t in terms),
        weights={k: float(v) for k, v in weights.items()},
    )


def _mask(text: str, pattern: re.Pattern[str] | None) -> str:
    """Blank out matches (same length) so later patterns cannot match inside them."""
    return pattern.sub(lambda m: " " * len(m.group()), text) if pattern else text


def score(
    title: str, text: str, rules: RelevanceRules, *, lead: str = "", bilateral: bool = False
) -> Relevance:
    """Weigh where each country is named; both must clear the threshold.

    An outlet that covers the relationship itself (`bilateral`) needs only one of the two.
    """
    w = rules.weights
    # Without a lead of its own, the text's opening is the lead and is not counted again as body.
    body = text if lead else text[LEAD_CHARS:]
    zones = {
        "title": _mask(normalize(title), rules.north_korea),
        "lead": _mask(normalize(lead or text[:LEAD_CHARS]), rules.north_korea),
        "body": _mask(normalize(body), rules.north_korea),
    }
    full = _mask(normalize(f"{lead}\n{text}"), rules.north_korea)
    evidence: list[dict[str, Any]] = []
    weight = dict.fromkeys(COUNTRIES, 0.0)
    positions: dict[str, list[int]] = {c: [] for c in COUNTRIES}
    for country in COUNTRIES:
        for zone, content in zones.items():
            hits = list(rules.patterns[country].finditer(content))
            if not hits:
                continue
            count = min(len(hits), int(w["body_cap"])) if zone == "body" else 1
            weight[country] += w[zone] * count
            evidence.append(
                {"country": country, "where": zone, "terms": sorted({h.group() for h in hits})}
            )
        positions[country] = [h.start() for h in rules.patterns[country].finditer(full)]
    near = _near(positions["cambodia"], positions["korea"], int(w["window"]))
    if near:
        evidence.append({"country": "both", "where": "body", "terms": ["within window"]})
    total = sum(weight.values()) + (w["proximity"] if near else 0.0)
    if bilateral:
        relevant = max(weight.values()) >= w["threshold"]
    else:
        relevant = all(v >= w["threshold"] for v in weight.values()) or (
            near and min(weight.values()) >= w["body"] and max(weight.values()) >= w["threshold"]
        )
    return Relevance(relevant=relevant, score=round(total, 2), evidence=evidence)


def _near(a: list[int], b: list[int], window: int) -> bool:
    return any(abs(x - y) <= window for x in a for y in b)
