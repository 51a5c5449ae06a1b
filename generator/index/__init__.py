"""Index: articles and stories become the site index (days, topics, outlets, related)."""
