"""``newsdigest fetch``: RSS, Atom and JSON feeds -> article files in the crawler's format.

feedlist (what to fetch) -> generator.net.download (how to ask) -> parse (what came back) ->
entries (one article file each) -> store (what is new, written once); run
puts them together.
"""

from generator.fetch.run import FeedReport, FetchResult, fetch

__all__ = ["FeedReport", "FetchResult", "fetch"]
