"""One spider per outlet, generated from the registry: `scrapy list` shows every outlet."""

from __future__ import annotations

from pathlib import Path

from scrapy.settings import BaseSettings
from scrapy.spiderloader import SpiderLoader

from digest.config import load_config
from digest.fetch.sources import load_sources
from spiders.kinds import KINDS


class RegistrySpiderLoader(SpiderLoader):
    """Scrapy's loader, plus a spider class per outlet of the sources file.

    The file is `CKMON_SOURCES` if set, else `[crawl] sources_file` of ckmon.toml, else the shipped one.
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        path = (
            settings.get("CKMON_SOURCES")
            or load_config(settings.get("CKMON_CONFIG") or None).crawl.sources_file
        )
        for source in load_sources(Path(path) if path else None).values():
            kind = KINDS[source.kind]
            self._spiders[source.name] = type(
                f"{source.name.title().replace('_', '')}Spider",
                (kind,),
                {"name": source.name, "source": source, "__module__": kind.__module__},
            )
