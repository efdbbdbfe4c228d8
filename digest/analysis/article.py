"""The extracted article: what every step after fetching works on."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Article:
    """One article page as extracted; times are aware UTC."""

    url: str
    title: str = ""
    text: str = ""
    lead: str = ""
    authors: list[str] = field(default_factory=list)
    published: datetime | None = None
    updated: datetime | None = None
    date_source: str = ""  # where `published` came from: jsonld, meta, htmldate, feed, ...
    image: str = ""
    lang: str = ""
    canonical_url: str = ""
    outlet: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: times as ISO 8601 strings."""
        data = asdict(self)
        for key in ("published", "updated"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("published", "updated"):
            if isinstance(known.get(key), str):
                known[key] = datetime.fromisoformat(known[key])
        return cls(**known)
