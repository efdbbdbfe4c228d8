"""Topic tags from an editable taxonomy: multi-label, in English, Korean and Khmer."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from digest.errors import ConfigError
from digest.rules import compile_terms
from digest.textnorm import normalize


@dataclass(frozen=True)
class Taxonomy:
    topics: dict[str, re.Pattern[str]]
    min_body: int = 2


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
        pattern = compile_terms(table.get("terms", []))
        if pattern is None:
            raise ConfigError(f"{path}: [{name}] needs a non-empty 'terms' list")
        topics[name] = pattern
    return Taxonomy(topics=topics, min_body=int(data.get("min_body", 2)))


def tag(title: str, text: str, taxonomy: Taxonomy, *, lead: str = "") -> list[str]:
    """Every topic whose terms stand in the title or lead, or often enough in the body."""
    head = normalize(f"{title}\n{lead or text[:400]}")
    body = normalize(text)
    found = []
    for name, pattern in taxonomy.topics.items():
        if pattern.search(head):
            found.append(name)
        elif len({m.group().lower() for m in pattern.finditer(body)}) >= taxonomy.min_body:
            found.append(name)
    return found
