"""No input stops the build: each hostile article is a file:line problem, and bounded in time."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from generator.content.markup import MARKDOWN_BLOCKS, render_bounded, render_markdown
from generator.content.read import parse_article

HEAD = "---\ntitle: A headline\npublishedDateTime: 2024-01-01T00:00:00Z\n"


def parse(text: str):
    return parse_article(text, "x.md", timezone.utc)


def test_deeply_nested_block_yaml_is_an_error_at_its_line():
    deep = "x:\n" + "".join("  " * i + "a:\n" for i in range(1, 341)) + "  " * 341 + "b: 1\n"
    result = parse(HEAD + deep + "---\nbody\n")
    assert result.article is None
    [problem] = result.problems
    assert problem.severity == "error" and "nests more than 64 levels" in problem.message and problem.line == 68


@pytest.mark.parametrize("nested", ["[" * 400 + "]" * 400, "{a: " * 400 + "1" + "}" * 400, "- " * 400 + "x"])
def test_deeply_nested_flow_yaml_is_an_error(nested):
    result = parse(HEAD + f"x: {nested}\n---\n" if not nested.startswith("-") else HEAD + f"x:\n  {nested}\n---\n")
    assert result.article is None and "nests more than" in result.problems[0].message


def test_ordinary_nesting_is_read():
    result = parse(HEAD + "provider:\n  name: A\n  images:\n    - url: https://a.example/l.png\n      width: 40\n"
                   "      height: 40\n---\n")
    assert result.article is not None and result.article.provider is not None


@pytest.mark.parametrize("moment", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00", "9999-12-15T00:00:00Z",
                                    "0999-06-01T00:00:00Z"])
def test_a_date_out_of_range_is_an_error_not_a_crash(moment):
    result = parse(HEAD.replace("2024-01-01T00:00:00Z", moment) + "---\n")
    assert result.article is None
    assert any("out of range" in p.message and p.line == 3 and p.severity == "error" for p in result.problems)


def test_dates_near_the_ends_of_the_range_read():
    for moment in ("1000-01-02T00:00:00Z", "8999-12-30T00:00:00Z"):
        assert parse(HEAD.replace("2024-01-01T00:00:00Z", moment) + "---\n").article is not None


# Python-Markdown's known slow inputs: nested and unclosed brackets (links, images, references),
# autolinks and raw HTML, abbreviation definitions, dense inline marks, deep list nesting, tiny blocks.
PATHOLOGICAL = {
    "unclosed links": "[" * 4000 + "x](" + "](" * 4000,
    "open brackets": "[",
    "link openers": "[a](",
    "angle brackets": "<a ",
    "images": "![",
    "references": "[a][",
    "autolinks": "<http://a",
    "abbreviations": "*[a]: b\n\n",
    "emphasis": "*a* ",
    "entities": "&#91;",
    "escapes": "\\[",
    "links in paragraphs": "Words and a [link](https://a.example/x) or two. " * 5 + "\n\n",
    "64 brackets a block": "[" * 64 + "\n\n",
    "tiny blocks": "a\n\n",
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_any_body_of_the_allowed_size_renders_in_about_a_second(name):
    unit = PATHOLOGICAL[name]
    body = (unit * (2_000_000 // len(unit) + 1))[:2_000_000]  # the default max_article_bytes
    started = time.process_time()
    html = render_markdown(body)
    assert time.process_time() - started < 1.5, name
    assert "<script" not in html


def test_deep_list_nesting_renders():
    body = "".join(" " * (4 * i) + "- a\n" for i in range(2000))
    started = time.process_time()
    html, cut = render_bounded(body)
    assert time.process_time() - started < 1.5 and "<li>" in html


def test_ordinary_bodies_render_in_full():
    body = "\n\n".join(f"Paragraph {n} with a [link](https://a.example/{n}) and *emphasis*." for n in range(50))
    html, cut = render_bounded(body)
    assert not cut and html.count("<a ") == 50 and html.count("<em>") == 50


def test_a_bounded_body_is_shown_as_text_with_a_warning_at_the_body():
    body = "Intro.\n\n" + "[" * 500 + "\n\n" + "Outro with <b>bold</b>.\n"
    result = parse(HEAD + "---\n" + body)
    assert result.article is not None
    html = result.article.body_html
    assert "<p>Intro.</p>" in html and "[" * 500 in html and "<b>bold</b>" in html
    [warning] = result.problems
    assert warning.severity == "warning" and warning.line == 5 and "plain text" in warning.message


def test_blocks_past_the_limit_are_plain_paragraphs_in_order():
    body = "\n\n".join(f"*p{n}*" for n in range(MARKDOWN_BLOCKS + 3))
    html, cut = render_bounded(body)
    assert cut and html.index("<em>p0</em>") < html.index(f"<p>*p{MARKDOWN_BLOCKS + 2}*</p>")
    assert html.count("<em>") == MARKDOWN_BLOCKS


def test_a_huge_title_and_excerpt_are_cut_with_a_warning():
    result = parse(f"---\ntitle: {'Headline ' * 120_000}\nexcerpt: {'word ' * 100_000}\n"
                   "publishedDateTime: 2024-01-01T00:00:00Z\n---\n")
    article = result.article
    assert article is not None and len(article.title) <= 301 and len(article.excerpt) <= 2001
    assert article.title.endswith("…") and article.excerpt.endswith("…")
    cut = [p for p in result.problems if "cut to" in p.message]
    assert [p.line for p in cut] == [2, 3] and all(p.severity == "warning" for p in cut)


def test_json_feed_fields_that_are_objects_are_no_text():
    import json

    from generator.fetch.entries import TopicMatcher, draft_article
    from generator.fetch.feedlist import FeedSpec
    from generator.fetch.parse import parse_feed

    feed = {"version": "https://jsonfeed.org/version/1.1", "title": {"evil": [1, 2]}, "items": [
        {"id": {"x": 1}, "url": "https://a.example/1", "title": {"nested": "object"}, "summary": ["a", "list"],
         "content_text": "The real text of the item.", "date_published": "0001-01-01T00:30:00+01:00"}]}
    parsed = parse_feed(json.dumps(feed).encode(), "https://a.example/feed.json", "application/feed+json")
    [entry] = parsed.entries
    assert parsed.title == "" and entry.id == "" and entry.title == "" and entry.published is None
    assert entry.summary == "The real text of the item."
    fetched = datetime(2026, 12, 1, tzinfo=timezone.utc)
    draft = draft_article(entry, parsed, FeedSpec(url="https://a.example/feed.json"), TopicMatcher([]), fetched, {})
    assert draft is not None and "{" not in draft.text.split("---")[1].split("title:")[1].split("\n")[0]
    assert "2026-12-01" in draft.text and "0001-" not in draft.text


@pytest.mark.parametrize(("setting", "words"), [
    ("  subject: \"{title.__class__.__mro__}\"", "only {title} and {date}"),
    ("  subject: \"{date!r}\"", "only {title} and {date}"),
    ("  subject: \"{0}\"", "only {title} and {date}"),
    ("  subject: \"News\\u2028Bcc: victim@example.org\"", "line separators"),
    ("  unsubscribe: \"https://a.example/u>, <mailto:x@evil.example\"", "one http(s) URL"),
    ("  unsubscribe: \"javascript:alert(1)\"", "one http(s) URL"),
    ("  from: \"not an address\"", "e-mail address"),
    ("  to: \"a@b.example, <broken\"", "e-mail address"),
])
def test_digest_settings_are_checked_when_the_settings_are_read(tmp_path, setting, words):
    from generator.core.config import ConfigError, load_config

    path = tmp_path / "site.yaml"
    path.write_text(f"title: News\nbase_url: https://news.example/\ndigest:\n  email_stories: 5\n{setting}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:5: ") and words in message and "\n" not in message


def test_a_site_title_with_a_line_separator_is_refused_at_its_line(tmp_path):
    from generator.core.config import ConfigError, load_config

    path = tmp_path / "site.yaml"
    path.write_text("base_url: https://news.example/\ntitle: \"News\\u2028Today\"\n")
    with pytest.raises(ConfigError, match=r":2: title must be one line"):
        load_config(path)


def test_good_digest_settings_are_read_and_the_subject_fills_only_its_fields(tmp_path):
    from generator.core.config import load_config, subject_line

    path = tmp_path / "site.yaml"
    path.write_text(
        'title: News\nbase_url: https://news.example/\ndigest:\n  subject: "{title} for {date} {{literal}}"\n'
        '  from: "News desk <desk@news.example>"\n  to: "readers@lists.news.example"\n'
        '  unsubscribe: "https://news.example/unsubscribe?list=daily"\n'
    )
    config = load_config(path)
    assert (
        subject_line(config.digest.subject, title="News", date="Monday 1 June 2026")
        == "News for Monday 1 June 2026 {literal}"
    )


@pytest.mark.parametrize(
    ("flags", "shown"),
    [
        ("draft: true", False),
        ("draft: false", True),
        ("published: false", False),
        ("published: true\ndraft: false", True),
        ("", True),
        ("published: false\ndraft: true", False),
    ],
)
def test_draft_true_keeps_an_article_off_the_site_as_published_false_does(flags, shown):
    result = parse(HEAD + flags + ("\n" if flags else "") + "---\n")
    assert result.article is not None and result.article.is_published is shown and result.problems == ()


@pytest.mark.parametrize(
    ("flags", "line", "words"),
    [
        ("published: true\ndraft: true", 5, "contradicts"),
        ('published: "no"', 4, "must be true or false"),
        ("draft: yes", 4, "must be true or false"),
        ("draft: 1", 4, "must be true or false"),
    ],
)
def test_a_conflicting_or_non_boolean_flag_is_an_error_at_its_line(flags, line, words):
    result = parse(HEAD + flags + "\n---\n")
    assert result.article is None
    [problem] = [p for p in result.problems if p.severity == "error"]
    assert problem.line == line and words in problem.message


@pytest.mark.parametrize(
    ("key", "meant"), [("publshed", "published"), ("drafts", "draft"), ("webURL", "webUrl"), ("exerpt", "excerpt")]
)
def test_a_misspelt_key_gets_a_suggestion_at_its_line(key, meant):
    result = parse(HEAD + f"{key}: false\n---\n")
    assert result.article is not None and result.article.is_published
    [warning] = result.problems
    assert warning.line == 4 and warning.severity == "warning" and f"did you mean '{meant}'" in warning.message


def test_other_unknown_keys_are_kept_quietly():
    result = parse(HEAD + "crawlerBatch: 7\nsourceRank: 3\n---\n")
    assert result.article is not None and result.problems == () and result.article.extra["crawlerBatch"] == 7
