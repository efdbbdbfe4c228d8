"""ckmon's understanding and delivery: plain functions over plain data, tested without Scrapy."""
