"""Carries the user's ckmon.toml into Scrapy settings, for `scrapy crawl` and `ckmon crawl` alike."""

from __future__ import annotations

from scrapy.settings import BaseSettings

from digest.config import load_config
from digest.fetch.useragent import VERSION, user_agent
from spiders.distributed import apply_redis

__all__ = ["VERSION", "CkmonAddon", "user_agent"]


class CkmonAddon:
    """Settings from ckmon.toml, at project priority: `-s NAME=VALUE` on the command line still wins."""

    def update_settings(self, settings: BaseSettings) -> None:
        config = load_config(settings.get("CKMON_CONFIG") or None)
        apply_redis(settings, config.redis)  # [redis] url: several workers share one crawl
        for name, value in config.scrapy.items():  # [scrapy] table of ckmon.toml
            settings.set(name, value, priority="project")
        settings.set("USER_AGENT", user_agent(config.crawl.contact_url), priority="project")
        settings.set("CKMON_DATABASE_URL", config.store.url, priority="project")
        for name, path in (
            ("CKMON_RELEVANCE_RULES", config.relevance.rules),
            ("CKMON_TOPICS", config.topics.file),
        ):
            settings.set(name, str(path) if path else "", priority="project")
        settings.set("CKMON_BACKFILL_DAYS", config.crawl.backfill_days, priority="project")
        settings.set(
            "CKMON_ALLOW_PRIVATE_ADDRESSES",
            config.crawl.allow_private_addresses,
            priority="project",
        )
