"""The crawler's User-Agent, shared by Scrapy crawls and `ckmon check --live`."""

from __future__ import annotations

VERSION = "0.1"


def user_agent(contact_url: str) -> str:
    """An honest User-Agent: who we are and where to reach the operator."""
    contact = f"; +{contact_url}" if contact_url else ""
    return f"ckmon/{VERSION} (Cambodia-Korea media monitor{contact})"
