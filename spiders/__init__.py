"""ckmon's Scrapy project: fetching only. Understanding happens in `digest/`."""
