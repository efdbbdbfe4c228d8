"""Understanding an article: extraction, dates, URLs, text, term rules, relevance, topics,
figures, duplicates, and ingest (which runs them in order and hands the result to the store)."""
