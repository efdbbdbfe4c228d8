"""Fetching: the outlet registry, the address guard, fetch state, seen URLs, WARC archives,
sitemaps and aggregator feeds, crawl orchestration and live checks: what the spiders lean on."""
