"""A static site generator for news-digest sites fed by a crawler's Markdown files."""

__version__ = "0.2.0"
