"""A static site generator for news-digest sites fed by a crawler's Markdown files."""
