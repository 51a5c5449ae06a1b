from datetime import timezone

import pytest

from generator.content.read import parse_article, read_article, resolve_slug_collisions
from helpers import article_fields, write_article

UTC = timezone.utc


def parse(text: str, source: str = "content/x.md"):
    return parse_article(text, source, UTC)


def test_valid_article_reads_every_field(tmp_path):
    path = write_article(tmp_path, "a.md", article_fields(3, topics=["AI", "Robotics"]), body="Hello **there**")
    result = read_article(path, "a.md", UTC)
    article = result.article
    assert article is not None and result.problems == ()
    assert article.title == "Story number 3"
    assert article.published.isoformat() == "2026-11-04T03:00:00+00:00"
    assert article.provider.key == "outlet0.example"
    assert [t.slug for t in article.topics] == ["ai", "robotics"]
    assert article.images[0].width == 800
    assert article.body_html == "<p>Hello <strong>there</strong></p>"
    assert article.link == "https://outlet0.example/story-3"


def test_secured_is_dropped_at_read_time(tmp_path):
    path = write_article(tmp_path, "a.md", article_fields(1, extra_field="kept"))
    article = read_article(path, "a.md", UTC).article
    assert "secured" not in article.extra and article.extra == {"extra_field": "kept"}
    assert "SECRET" not in repr(article)


@pytest.mark.parametrize("text, line, words", [
    ("", 1, "empty file"),
    ("title: no fences\n", 1, "must start with"),
    ("---\ntitle: x\n", 1, "not closed"),
    ("---\ntitle: ok\nexcerpt: [unclosed\n---\n", 3, "invalid YAML"),
    ("---\n- a list\n---\n", 2, "mapping"),
    ("---\nexcerpt: e\npublishedDateTime: 2026-01-01T00:00:00Z\n---\n", 1, "missing or empty 'title'"),
    ("---\ntitle: t\nexcerpt: e\n---\n", 1, "missing 'publishedDateTime'"),
    ("---\ntitle: t\nexcerpt: e\npublishedDateTime: yesterday\n---\n", 4, "not an ISO 8601"),
    # a date YAML recognises but the calendar has not (was a traceback: PyYAML raises ValueError)
    ("---\ntitle: t\nexcerpt: e\npublishedDateTime: 2026-02-30T10:00:00Z\n---\n", 4, "not an ISO 8601"),
    ("---\ntitle: t\nexcerpt: [e]\npublishedDateTime: 2026-02-30T10:00:00Z\n---\n", 4, "not an ISO 8601"),
])
def test_errors_name_file_and_line(text, line, words):
    result = parse(text)
    assert result.article is None
    [problem] = [p for p in result.problems if p.severity == "error"]
    assert problem.path == "content/x.md" and problem.line == line and words in problem.message
    assert str(problem).startswith(f"content/x.md:{line}: error: ")


def test_non_utf8_file_is_reported_with_its_line(tmp_path):
    path = tmp_path / "bad.md"
    path.write_bytes(b"---\ntitle: ok\nexcerpt: caf\xe9\n---\n")
    result = read_article(path, "bad.md", UTC)
    assert result.article is None and result.problems[0].line == 3 and "UTF-8" in result.problems[0].message


def test_published_flag_defaults_to_true():
    base = "---\ntitle: t\npublishedDateTime: 2026-01-01T00:00:00Z\n{}---\n"
    assert parse(base.format("")).article.is_published is True
    assert parse(base.format("published: false\n")).article.is_published is False
    assert parse(base.format("published: true\n")).article.is_published is True


def test_naive_datetime_is_read_in_site_zone_with_warning():
    from zoneinfo import ZoneInfo
    result = parse_article(
        "---\ntitle: t\npublishedDateTime: 2026-06-01T12:00:00\n---\n", "x.md", ZoneInfo("Europe/Paris")
    )
    assert result.article.published.isoformat() == "2026-06-01T10:00:00+00:00"
    assert [p.line for p in result.problems] == [3] and "time zone" in result.problems[0].message


@pytest.mark.parametrize(
    "source, fields, slug",
    [
        ("content/000_abc.md", {"title": "Hello, World!"}, "2026-11-02-hello-world"),
        ("content/2026-01-05-kept-name.md", {"title": "Changed title"}, "2026-01-05-kept-name"),
        ("content/000_abc.md", {"title": "T", "slug": "My Custom/../Slug"}, "my-custom-slug"),
        ("content/000_abc.md", {"title": "T", "slug": "!!!"}, "2026-11-02-t"),
        ("content/000_abc.md", {"title": "🚀🚀"}, "2026-11-02-article"),
    ],
)
def test_slug_rules(source, fields, slug):
    text = (
        "---\n" + "".join(f"{k}: {v!r}\n" for k, v in fields.items()) + "publishedDateTime: 2026-11-02T10:00:00Z\n---\n"
    )
    assert parse(text, source).article.slug == slug


def test_slug_collisions_are_resolved_deterministically_and_reported():
    texts = {
        name: "---\ntitle: Same title\npublishedDateTime: 2026-11-02T10:00:00Z\n---\n"
        for name in ("c.md", "a.md", "b.md")
    }
    articles = [parse(text, name).article for name, text in texts.items()]
    resolved, problems = resolve_slug_collisions(articles)
    assert {a.source: a.slug for a in resolved} == {
        "a.md": "2026-11-02-same-title",
        "b.md": "2026-11-02-same-title-2",
        "c.md": "2026-11-02-same-title-3",
    }
    assert [p.path for p in problems] == ["b.md", "c.md"] and all("already used" in p.message for p in problems)
    again, _ = resolve_slug_collisions(reversed(articles))
    assert {a.source: a.slug for a in again} == {a.source: a.slug for a in resolved}


def test_unsafe_urls_are_dropped_with_a_warning_naming_the_line():
    text = (
        "---\ntitle: t\npublishedDateTime: 2026-11-02T10:00:00Z\nwebUrl: 'javascript:alert(1)'\n"
        "images:\n  - url: 'data:image/png;base64,AAAA'\n    width: 10\n    height: 10\n---\n"
    )
    result = parse(text)
    assert result.article.link is None and result.article.images == ()
    assert sorted((p.line, p.severity) for p in result.problems) == [(4, "warning"), (5, "warning")]


def test_images_without_sizes_are_left_out():
    text = "---\ntitle: t\npublishedDateTime: 2026-11-02T10:00:00Z\nimages:\n  - url: https://a.example/x.jpg\n---\n"
    result = parse(text)
    assert result.article.images == () and "width and height" in result.problems[0].message


def test_mojibake_is_repaired_and_noted():
    text = '---\ntitle: "investorsâ€™ demand"\npublishedDateTime: 2026-11-02T10:00:00Z\n---\n'
    result = parse(text)
    assert result.article.title == "investors\u2019 demand"
    assert [(p.severity, p.line) for p in result.problems] == [("note", 2)]


def test_entities_and_tags_in_excerpt_become_plain_text():
    text = ("---\ntitle: 'A &amp; B'\nexcerpt: 'x&nbsp;y <b>bold</b> &#038; more'\n"
            "publishedDateTime: 2026-11-02T10:00:00Z\n---\n")
    article = parse(text).article
    assert article.title == "A & B" and article.excerpt == "x y bold & more"


def test_markdown_body_is_sanitised():
    text = ("---\ntitle: t\npublishedDateTime: 2026-11-02T10:00:00Z\n---\n<script>alert(1)</script>\n\n"
            "[x](javascript:alert(2)) <img src=x onerror=alert(3)>\n")
    html = parse(text).article.body_html
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html


def test_an_outlet_named_by_a_piece_of_its_domain_is_named_by_the_domain(tmp_path):
    fields = article_fields(1)
    fields["provider"] = {"name": "tech", "domain": "techstory.example"}
    fields["related"] = [
        {
            "title": "Elsewhere",
            "webUrl": "https://shorenews.example/x",
            "provider": {"name": "shorenews", "domain": "shorenews.example"},
        },
        {
            "title": "Brand",
            "webUrl": "https://medium.example/y",
            "provider": {"name": "Medium", "domain": "medium.example"},
        },
    ]
    article = read_article(write_article(tmp_path, "a.md", fields), "a.md", UTC).article
    assert article.provider.name == "techstory.example"
    assert [r.provider.name for r in article.related] == ["shorenews.example", "Medium"]
