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
# Items handled at once per response. Scrapy starts this many asyncio tasks for every response; an
# article page yields one item and the store pipeline is synchronous, so 100 (the default) only
# costs time (0.4 ms of CPU a page in bench/crawl.py).
CONCURRENT_ITEMS = 8
DOWNLOAD_DELAY = 1.0
COOKIES_ENABLED = False

# Bounded fetches
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
RETRY_TIMES = 2
RETRY_HTTP_CODES = [408, 429, 500, 502, 503, 504, 522, 524]
# A request given up is a warning: ckmon reports the outlet or article it cost, once, as its own line
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"
CKMON_RETRY_BACKOFF = 2.0  # seconds before the first retry, doubled each time
CKMON_RETRY_AFTER_MAX = 120.0  # a longer Retry-After (or backoff) means: not this run

# Only http(s): no file://, ftp://, s3:// or data: URL from a feed is ever opened.
DOWNLOAD_HANDLERS = {"file": None, "ftp": None, "s3": None, "data": None}

DOWNLOADER_MIDDLEWARES = {
    "spiders.middlewares.AddressGuardMiddleware": 40,
    "spiders.middlewares.SeenUrlMiddleware": 45,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "spiders.middlewares.BackoffRetryMiddleware": 550,
    "spiders.middlewares.RedirectLoopMiddleware": 650,  # sees a 3xx before redirects (600)
    "spiders.middlewares.ConditionalGetMiddleware": 800,
    "spiders.middlewares.WarcRecorderMiddleware": 955,
    "spiders.middlewares.WarcReplayMiddleware": 960,
    "spiders.middlewares.HostGateMiddleware": 970,  # per host across all outlets' crawlers
}

# ckmon's own crawl settings (defaults; ckmon.toml's [scrapy] table or -s override them)
CKMON_ALLOWED_HOSTS: list[str] = []  # host:port pairs let past the address guard (test servers)
CKMON_FULL_FETCH_DAYS = 7  # conditional GET, but a full fetch of each feed at least this often
# Entries one discovery document sends on, the newest first (digest/fetch/bounds.py: the rule)
CKMON_FEED_MAX_ENTRIES = 500  # items of one feed
CKMON_SITEMAP_MAX_ENTRIES = 500  # URLs of one sitemap or news sitemap
CKMON_SITEMAP_MAX_CHILDREN = 5  # child sitemaps followed from an index
CKMON_LISTING_MAX_LINKS = 60  # article links of one listing page (in page order: no dates)
CKMON_SEARCH_MAX_ENTRIES = 100  # results of one Google News or GDELT search
CKMON_RECORD = ""  # FILE.warc.gz: record every response (`ckmon crawl --record`)
CKMON_REPLAY = ""  # FILE.warc.gz: answer every request from it (`ckmon crawl --replay`)

ITEM_PIPELINES = {"spiders.pipelines.StorePipeline": 300}
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "spiders.extensions.CrawlRunRecorder": 500,
}
TELNETCONSOLE_ENABLED = False
# Scrapy's remote-control HTTP server runs Python code sent to it: an unattended monitor has no use
# for a code-execution endpoint beside it.
REMOTE_CONTROL_ENABLED = False

# Name resolution refuses non-public answers too (DNS rebinding): see spiders/resolver.py.
TWISTED_DNS_RESOLVER = "spiders.resolver.GuardedResolver"

# Scrapy looks for `return value` in generator callbacks (a mistake it warns about) by reading and
# parsing the callback's source. Its cache of answers is keyed weakly by the callback, and a bound
# method (`self.parse_article`) is a new object on each request, so the source was read and parsed
# again for every page (0.6 ms of CPU each in bench/crawl.py). ckmon's callbacks are few, fixed and
# written here; none returns a value.
WARN_ON_GENERATOR_RETURN_VALUE = False

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
