"""Build the real crawler examples from ../shared/fixtures (present in CI)."""
from __future__ import annotations

import shutil
from pathlib import Path

from generator.build.builder import BuildOptions, build
from helpers import FIXTURES, NOW, needs_fixtures, snapshot, soup

pytestmark = needs_fixtures


def build_fixture(content: Path, out: Path, unpublished: bool = True):
    return build(BuildOptions(content_dir=content, output_dir=out, include_unpublished=unpublished, now=NOW))


def test_real_ai_site_builds_completely(tmp_path):
    source = FIXTURES / "real-ai"
    result = build_fixture(source, tmp_path / "out")
    out = tmp_path / "out"
    article_files = list((source / "_news").glob("*.md"))
    assert result.errors == [] and result.skipped == 0
    assert result.articles == len(article_files) == 150
    # Logos and images point at /assets/... files this folder does not have: each missing file is
    # reported once, and no page links to it.
    missing = [p for p in result.warnings if "is not a file of the site" in p.message]
    named = [p.message.split()[1] for p in missing]
    assert len(named) == len(set(named)) > 50
    for data in snapshot(out).values():
        assert b'src="/assets/images/organizations/' not in data
    for path in article_files:
        assert (out / "news" / path.stem / "index.html").is_file(), path.stem
    # Topic pages are named from the metadata files.
    nlp = soup(out / "topics/natural-language-processing/index.html")
    assert nlp.h1.get_text() == "Natural Language Processing"
    topics = soup(out / "topics/index.html")
    counts = {a.get_text(): int(a.find_next(class_="count").get_text()) for a in topics.select(".term-list a")}
    # Counts are of stories: the articles of the site, each story's coverage once.
    sizes = [len(soup(page).select(".coverage-item a.coverage-title:not([rel~=external])"))
             for page in (out / "stories").glob("*/index.html")]
    assert sizes and counts["AI"] == 150 - sum(size - 1 for size in sizes)
    # Providers: metadata names and site-relative logos.
    forbes = soup(out / "providers/forbes.com/index.html")
    assert forbes.h1.get_text() == "Forbes"
    # Its metadata logo is missing from the site; an article's absolute logo URL stands in.
    assert forbes.select_one(".provider-logo-large")["src"].startswith("https://")
    # Outlets with no usable logo at all show a lettered monogram.
    monograms = [
        soup(p).select_one("span.monogram.provider-logo-large") for p in (out / "providers").glob("*/index.html")
    ]
    assert any(m is not None and m.get_text() == m.find_parent("header").h1.get_text()[:1].upper() for m in monograms)
    assert "/assets/images/organizations/forbes.com-50x50.jpg" in {p.message.split()[1] for p in missing}
    # 43 articles carry related coverage, and an article of a story has the story's others: each gets an
    # "Also covered by" block.
    with_related = [p for p in (out / "news").glob("*/index.html") if soup(p).select_one(".coverage-block")]
    in_stories = {
        a["href"].split("/")[2]
        for page in (out / "stories").glob("*/index.html")
        for a in soup(page).select(".coverage-item a.coverage-title:not([rel~=external])")
    }
    related = {p.stem for p in article_files if "\nrelated:" in p.read_text()}
    assert len(related) == 43 and {p.parent.name for p in with_related} == related | in_stories
    for data in snapshot(out).values():
        assert b"secured" not in data


def test_real_ai_public_build_leaves_out_unpublished(tmp_path):
    result = build_fixture(FIXTURES / "real-ai", tmp_path / "out", unpublished=False)
    assert result.unpublished_left_out == 66 and result.articles == 150 - 66


def test_single_real_articles(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "articles", content)
    result = build_fixture(content, tmp_path / "out")
    assert result.errors == [] and result.articles == 2
    page = soup(
        tmp_path
        / "out/news/2023-07-12-nvidia-invests-50-million-in-recursion-to-train-ai-models-for-drug-discovery/index.html"
    )
    entries = page.select(".coverage-item")
    assert [e.select_one(".coverage-outlet").get_text() for e in entries] == ["Bloomberg L.P.", "GEN"]
    # The mojibake in the related excerpt is repaired and reported as a note, never shown broken.
    assert any(p.severity == "note" and "mojibake" in p.message for p in result.problems)
    assert "â€" not in (tmp_path / "out").joinpath("news").rglob("*.html").__next__().read_text()
    assert build_fixture(content, tmp_path / "out2", unpublished=False).articles == 0
