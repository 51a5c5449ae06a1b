"""The torture corpus (tests/torture): every messy or hostile file has an asserted outcome."""
from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from generator.content.clean import MAX_TITLE, shorten
from helpers import build_site, snapshot, soup

TORTURE = Path(__file__).resolve().parents[1] / "torture"
EXPECTED = yaml.safe_load((TORTURE / "expected.yaml").read_text(encoding="utf-8"))
LARGE_BODY_BYTES = 1_500_000  # under the 2 MB default cap: built
HUGE_BODY_BYTES = 5 * 1024 * 1024  # over it: refused before it is read, so it cannot stall the build


@pytest.fixture(scope="module")
def torture_site(tmp_path_factory):
    site = tmp_path_factory.mktemp("torture")
    shutil.copytree(TORTURE / "content", site / "content")
    # The large cases are made here rather than kept in the repository.
    paragraph = "A long paragraph of body text that goes on and on. " * 20 + "\n\n"
    for name, size in (("fm-large", LARGE_BODY_BYTES), ("fm-huge", HUGE_BODY_BYTES)):
        body = paragraph * (size // len(paragraph) + 1)
        (site / f"content/{name}.md").write_text(
            f"---\ntitle: A {name} file\npublishedDateTime: 2026-11-20T10:00:00Z\n---\n" + body
        )
    result = build_site(site)
    return site, result


def test_every_case_is_covered_by_an_expectation():
    files = {p.name for p in (TORTURE / "content").glob("*.md")}
    assert files == set(EXPECTED) and len(files) >= 60


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_case_outcome_and_problems(torture_site, name):
    site, result = torture_site
    expected = EXPECTED[name]
    reported = [p for p in result.problems if p.path == name]
    wanted = expected.get("problems", [])
    assert len(reported) == len(wanted), [str(p) for p in reported]
    for problem, (line, severity, words) in zip(reported, wanted, strict=True):
        assert (problem.line, problem.severity) == (line, severity) and words in problem.message, str(problem)
    errors = [p for p in reported if p.severity == "error"]
    if expected["outcome"] == "published":
        assert not errors and (site / "public" / expected["page"] / "index.html").is_file()
    elif expected["outcome"] == "skipped":
        assert errors
    else:
        assert expected["outcome"] == "unpublished" and not errors


def test_summary_counts_every_problem(torture_site):
    _site, result = torture_site
    severities = Counter(p[1] for e in EXPECTED.values() for p in e.get("problems", []))
    outcomes = Counter(e["outcome"] for e in EXPECTED.values())
    assert result.skipped == outcomes["skipped"] + 1  # + the generated 5 MB file
    # + the generated 1.5 MB file's body, past what is parsed as Markdown (shown as plain text, with a warning)
    assert len(result.warnings) == severities["warning"] + 1 and len(result.errors) == severities["error"] + 1
    assert result.articles == outcomes["published"] + 1  # + the generated 1.5 MB file
    assert f"{result.skipped} skipped, {len(result.warnings)} warnings" in result.summary()


def page(site, name):
    return soup(site / "public" / EXPECTED[name]["page"] / "index.html")


def test_values_are_read_as_written(torture_site):
    site, result = torture_site
    assert page(site, "fm-yaml11.md").h1.get_text() == "NO"
    assert page(site, "fm-yaml11.md").select_one(".excerpt").get_text() == "12:30"
    assert page(site, "fm-duplicate-keys.md").h1.get_text() == "Second title"
    assert page(site, "text-mojibake.md").h1.get_text() == "Investors\u2019 \u201cunrelenting\u201d demand"
    assert (
        page(site, "text-mojibake.md").select_one(".excerpt").get_text()
        == "Already correct: “curly” and ‘single’ quotes."
    )
    assert page(site, "text-entities.md").h1.get_text() == "Fish & Chips Today"
    assert page(site, "text-entities.md").select_one(".excerpt").get_text() == "Prices & more <tags>"
    assert page(site, "text-control-chars.md").h1.get_text() == "Bell and escape characters"
    rtl = page(site, "text-rtl.md").h1
    assert rtl["dir"] == "auto" and rtl.get_text() == "عنوان الخبر باللغة العربية"
    assert page(site, "text-cjk.md").h1.get_text() == "人工智能的最新进展"
    assert page(site, "text-long-title.md").h1.get_text() == shorten(
        ("Very long headline " * 106)[:2000].strip(), MAX_TITLE
    )
    assert page(site, "fm-crlf.md").select_one(".body strong").get_text() == "body"
    assert page(site, "fm-cr-only.md").select_one(".body strong").get_text() == "text"
    assert page(site, "fm-cr-only.md").select_one(".excerpt").get_text() == "Every line ends in a lone carriage return."
    many = page(site, "field-topics-too-many.md")
    assert len(many.select(".story .topic-list a")) == 50
    assert (site / "public/topics/topic-49/index.html").is_file() and not (site / "public/topics/topic-50").exists()
    # A card shows a few topics whatever the article has, so list pages cost the same per story.
    card_topics = soup(site / "public/topics/topic-49/index.html").select(".card .topic-list a")
    assert [a.get_text() for a in card_topics] == ["Topic 0", "Topic 1", "Topic 2", "Topic 3", "Topic 4"]
    assert (
        page(site, "field-provider-no-domain.md").select_one(".provider-badge")["href"]
        == "/providers/nameonly-gazette/"
    )
    topics = [a.get_text() for a in page(site, "field-topics-duplicates.md").select(".story .topic-list a")]
    assert topics == ["AI", "Robots And Arms"]
    assert (site / "public/news/2026-11-20-a-fm-large-file/index.html").stat().st_size > LARGE_BODY_BYTES
    [huge] = [p for p in result.problems if p.path == "fm-huge.md"]
    assert (huge.line, huge.severity) == (
        1,
        "error",
    ) and "over the limit of 2,000,000 (max_article_bytes" in huge.message
    assert not (site / "public/news/2026-11-20-a-fm-huge-file").exists()


def test_nothing_executable_or_unsafe_reaches_the_output(torture_site):
    site, _ = torture_site
    for path, data in snapshot(site / "public").items():
        text = data.decode("utf-8", "replace")
        assert "TORTURE-SECURED" not in text, path
        assert "video.example" not in text and "<iframe" not in text.lower(), path
        if not path.endswith(".html"):
            continue
        parsed = soup(site / "public" / path)
        # The theme's own script file on every page (not in an e-mail), and nothing else that runs but
        # structured data...
        theme = [s for s in parsed.find_all("script") if re.fullmatch(r"/js/site\.[0-9a-f]+\.js", s.get("src") or "")]
        assert len(theme) == (0 if path.endswith("/email.html") else 1) and not any(s.string for s in theme), path
        scripts = [s for s in parsed.find_all("script") if s not in theme]
        if path == "search/index.html":  # ...and the theme's search script, which loads the site's own Pagefind bundle
            runs = [s for s in scripts if s.get("type") != "application/json"]  # its words, data that never runs
            assert len(runs) == 1 and re.fullmatch(r"/js/search\.[0-9a-f]+\.js", runs[0].get("src") or "")
            assert [s.get("id") for s in scripts if s not in runs] == ["search-text"]
        else:
            assert [s.get("type") for s in scripts] in ([], ["application/ld+json"]), path
        for tag in parsed.find_all(True):
            assert not [a for a in tag.attrs if a.lower().startswith("on")], (path, tag.name)
            for attribute in ("href", "src"):
                value = tag.get(attribute)
                if value:
                    assert re.match(r"^(https?://|/(?!/)|#)", value), (path, value)
        # The e-mail edition keeps the theme's @media rules in a <style> of its head; content never adds one.
        styles = parsed.body.find_all("style") if path.endswith("/email.html") else parsed.find_all("style")
        assert styles == [] and parsed.find("svg") is None, path


def test_strict_mode_fails_and_leaves_output_untouched(torture_site):
    site, _ = torture_site
    before = snapshot(site / "public")
    result = build_site(site, strict=True)
    assert result.failed and snapshot(site / "public") == before
