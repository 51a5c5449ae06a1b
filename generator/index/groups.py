"""The kinds of collection: topics and outlets (days next).

A :class:`~.models.CollectionKind` says how one kind of group is named, where
its pages live and which groups an article belongs to; a
:class:`~.models.Collection` is one group. Pages, feeds, API lists and the
index pages of every kind are planned by the same code from these two, so a
new kind of group is one more entry in ``COLLECTION_KINDS``.
"""

from __future__ import annotations

from collections.abc import Iterable

from generator.core import urls
from generator.core.models import Article, CollectionKind, Image


def _topic_members(article: Article) -> Iterable[tuple[str, str, Image | None, str]]:
    return [(ref.slug, ref.name, None, "") for ref in article.topics]


def _provider_members(article: Article) -> Iterable[tuple[str, str, Image | None, str]]:
    provider = article.provider
    return [(provider.key, provider.name, provider.logo, provider.domain)] if provider else []


TOPICS = CollectionKind("topic", "topics", "about", urls.topic_path, _topic_members)
PROVIDERS = CollectionKind("provider", "providers", "from", urls.provider_path, _provider_members, per_story=False)
COLLECTION_KINDS = (TOPICS, PROVIDERS)
