"""Scrapy settings: a polite crawler with bounded fetches. `scrapy.cfg` points here.

Values that depend on the user's ckmon.toml (User-Agent contact, database) are filled in by
`spiders.addon.CkmonAddon` when a crawler starts, so `scrapy crawl` and `ckmon crawl` agree.
"""

BOT_NAME = "ckmon"
SPIDER_MODULES: list[str] = []  # spiders come from the outlet registry, not from modules
SPIDER_LOADER_CLASS = "spiders.loader.RegistrySpiderLoader"
ADDONS = {"spiders.addon.CkmonAddon": 0}

# Politeness
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
COOKIES_ENABLED = False

# Bounded fetches
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
RETRY_TIMES = 2
RETRY_HTTP_CODES = [408, 429, 500, 502, 503, 504, 522, 524]

ITEM_PIPELINES = {"spiders.pipelines.StorePipeline": 300}
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "spiders.extensions.CrawlRunRecorder": 500,
}
TELNETCONSOLE_ENABLED = False

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
