"""Stories in the built site: one entry per story in lists, a full-coverage page, coverage on article pages,
the API's story field and list, settings, and incremental regrouping in the preview."""
from __future__ import annotations

import json
import os

import pytest

from generator.build.builder import Builder, BuildOptions, Changes
from generator.core.config import ConfigError
from helpers import NOW, article_fields, build_site, soup, write_article, write_config

# Unrelated stories, so that word rarity means something (all written for these tests).
BACKGROUND = [
    "City council approves budget for protected cycle lanes",
    "Harbour ferry service resumes after storm repairs",
    "Local bakery wins regional bread competition",
    "University opens new library wing to students",
    "Rail operator orders twelve electric trains for coastal line",
    "Museum returns borrowed paintings to lender",
    "Farmers report early apple harvest after warm spring",
    "Theatre festival announces autumn programme",
    "Water utility warns of overnight pipe works downtown",
    "Stadium expansion plan goes to public consultation",
]
DRONE = [  # one event, three outlets, reworded (slug suffix, outlet, hour, title, excerpt)
    ("a", "alpha", 8, "Tidewater Robotics unveils underwater hull inspection drone",
     "The Tidewater drone maps hull corrosion for shipping firms without divers."),
    ("b", "beta", 10, "Underwater inspection drone from Tidewater Robotics maps ship hulls",
     "Shipping firms can check hull corrosion with the Tidewater drone instead of divers."),
    ("c", "gamma", 15, "Tidewater Robotics launches hull inspection drone for shipping",
     "The underwater Tidewater drone detects corrosion on ship hulls."),
]


def fields(slug_hour, outlet, title, excerpt, **extra):
    return article_fields(
        0,
        **{
            "title": title,
            "excerpt": excerpt,
            "publishedDateTime": f"2026-11-20T{slug_hour:02d}:00:00Z",
            "webUrl": f"https://{outlet}.example/{slug_hour}",
            "quality": 50,
            "heat": 3,
            "provider": {"name": outlet.capitalize(), "domain": f"{outlet}.example"},
            **extra,
        },
    )


def write_site(root, related=None, config=None):
    content = root / "content"
    write_config(root, **(config or {}))
    for n, title in enumerate(BACKGROUND):
        write_article(
            content,
            f"2026-11-{n + 1:02d}-bg-{n}.md",
            article_fields(
                n,
                title=title,
                excerpt=f"Details of {title.lower()}.",
                topics=["Local"],
                provider={"name": f"Paper {n}", "domain": f"paper{n}.example"},
            ),
        )
    for suffix, outlet, hour, title, excerpt in DRONE:
        extra = {"related": related} if related and suffix == "a" else {}
        write_article(
            content,
            f"2026-11-20-drone-{suffix}.md",
            fields(hour, outlet, title, excerpt, topics=["Robotics", "Shipping" if suffix == "c" else "AI"], **extra),
        )
    return root


def card_titles(page):
    """A list's stories: its cards, and on the home page the top stories and the river's denser headlines."""
    return [a.get_text() for a in page.select(".card-title a, .headline-title a")]


def site_reports(page):
    """The reports a story page lists from the site itself (the related ones link elsewhere)."""
    return page.select(".coverage-item a.coverage-title:not([rel~=external])")


@pytest.fixture
def site(tmp_path):
    related = [
        {
            "title": "Coverage elsewhere",
            "webUrl": "https://delta.example/drone",
            "provider": {"name": "Delta", "domain": "delta.example"},
        },
        {"title": "The same again", "webUrl": "https://delta.example/drone"},  # listed twice: shown once
        {"title": "Beta's report", "webUrl": "https://beta.example/10"},  # a member of the story: not repeated
        {"title": "Not a link", "webUrl": "ftp://epsilon.example/x"},  # dropped when read: not http(s)
    ]
    root = write_site(tmp_path, related)
    assert not build_site(root).failed
    return root


def test_the_story_page_lists_every_report_once_with_the_related_coverage(site):
    page = soup(site / "public/stories/2026-11-20-drone-a/index.html")
    assert page.select_one("h1").get_text(strip=True) == DRONE[0][3]  # the lead: equal quality and heat, earliest
    # Every report once, in time order: the site's three, then the related ones (undated, so last, as listed);
    # the related entry repeating a URL and the one naming a member of the story are left out, and the one whose
    # URL was refused stays as a report without a link.
    reports = page.select(".coverage-item")
    titles = [item.select_one(".coverage-title").get_text() for item in reports]
    assert titles == [d[3] for d in DRONE] + ["Coverage elsewhere", "Not a link"]
    assert [item.select_one(".coverage-outlet").get_text() for item in reports] == [
        "Alpha",
        "Beta",
        "Gamma",
        "Delta",
        "Elsewhere",
    ]
    assert reports[3].select_one("a")["href"] == "https://delta.example/drone" and reports[4].select_one("a") is None
    assert page.select_one(".kicker").get_text(" ", strip=True) == "Full coverage · 5 reports from 4 outlets"
    assert {a.get_text() for a in page.select(".topic-list a")} == {"Robotics", "AI", "Shipping"}
    assert page.select_one(".topic-list a").get_text() == "Robotics"  # the most shared first
    data = json.loads(page.select_one('script[type="application/ld+json"]').string)
    assert data["@type"] == "CollectionPage" and data["mainEntity"]["numberOfItems"] == 3
    assert page.select_one('meta[property="og:title"]')["content"] == f"Full coverage: {DRONE[0][3]}"
    sitemap = (site / "public/sitemap.xml").read_text()
    assert "<loc>https://news.example/stories/2026-11-20-drone-a/</loc>" in sitemap


def test_lists_show_each_story_once_but_an_outlet_lists_its_own_articles(site):
    home = soup(site / "public/index.html")
    latest = card_titles(home)
    assert sum(title in {d[3] for d in DRONE} for title in latest) == 1
    assert len(latest) == len(BACKGROUND) + 1
    entry = next(
        e for e in home.select(".headline-item") if e.select_one(".headline-title a").get_text() == DRONE[0][3]
    )
    link = entry.select_one("a.reach")
    assert link["href"] == "/stories/2026-11-20-drone-a/"
    assert link.get_text(" ", strip=True) == "+3 outlets : Beta, Gamma, Delta"  # the related coverage's outlet too
    robotics = soup(site / "public/topics/robotics/index.html")
    assert card_titles(robotics) == [DRONE[0][3]]
    assert robotics.select_one(".count").get_text(strip=True).startswith("1 story")
    shipping = soup(site / "public/topics/shipping/index.html")  # the lead lacks this topic: its member there leads
    assert card_titles(shipping) == [DRONE[2][3]]
    assert card_titles(soup(site / "public/providers/beta.example/index.html")) == [DRONE[1][3]]


def test_an_article_page_links_the_full_coverage_and_merges_also_covered(site):
    page = soup(site / "public/news/2026-11-20-drone-a/index.html")
    assert page.select_one(".story .coverage-block h2 a")["href"] == "/stories/2026-11-20-drone-a/"
    assert page.select_one(".coverage-block h2 a").get_text() == "Full coverage: 4 outlets"
    hrefs = [a["href"] for a in page.select("a.coverage-title")]
    assert hrefs == ["/news/2026-11-20-drone-b/", "/news/2026-11-20-drone-c/", "https://delta.example/drone"]
    assert not any("drone" in a["href"] for a in page.select(".more-on li a"))  # its story is listed above
    alone = soup(site / "public/news/2026-11-01-bg-0/index.html")
    assert alone.select_one(".coverage-block") is None


def test_the_api_names_each_article_s_story_and_lists_stories(site):
    items = json.loads((site / "public/api/news/index.json").read_text())["value"]
    story_of = {item["slug"]: item["story"] for item in items}
    assert story_of["2026-11-20-drone-b"] == "/stories/2026-11-20-drone-a/"
    assert story_of["2026-11-01-bg-0"] is None
    listed = json.loads((site / "public/api/stories/index.json").read_text())
    assert listed["nextPage"] is None and len(listed["value"]) == 1
    story = listed["value"][0]
    assert story["id"] == "2026-11-20-drone-a" and story["path"] == "/stories/2026-11-20-drone-a/"
    assert story["lead"] == "/news/2026-11-20-drone-a/"
    assert story["members"] == [f"/news/2026-11-20-drone-{s}/" for s in "abc"]


def test_feeds_keep_one_entry_per_article(site):
    feed = (site / "public/feed.xml").read_text()
    assert all(f"https://news.example/news/2026-11-20-drone-{s}/" in feed for s in "abc")


def test_stories_false_turns_grouping_off(tmp_path):
    root = write_site(tmp_path, config={"stories": False})
    build_site(root)
    assert not (root / "public/stories").exists()
    assert len(card_titles(soup(root / "public/index.html"))) == len(BACKGROUND) + 3
    items = json.loads((root / "public/api/news/index.json").read_text())["value"]
    assert {item["story"] for item in items} == {None}


def test_the_window_setting_bounds_a_story(tmp_path):
    root = write_site(tmp_path, config={"stories": {"window_hours": 4}})
    build_site(root)
    page = soup(root / "public/stories/2026-11-20-drone-a/index.html")
    assert len(site_reports(page)) == 2  # the report five hours after the first is another story now
    write_config(tmp_path, stories={"window_hour": 4})
    with pytest.raises(
        ConfigError, match=r"site\.yaml:\d+: stories must be true, false or a mapping with window_hours"
    ):
        build_site(root)


def test_coverage_added_later_keeps_the_story_s_address(site):
    before = soup(site / "public/stories/2026-11-20-drone-a/index.html")
    write_article(
        site / "content",
        "2026-11-21-drone-d.md",
        fields(
            20,
            "delta",
            "Tidewater Robotics drone inspects ship hulls without divers",
            "Delta reports the Tidewater hull drone found corrosion on its first ship.",
            topics=["Robotics"],
            quality=90,
        ),
    )
    build_site(site)
    after = soup(site / "public/stories/2026-11-20-drone-a/index.html")
    assert len(site_reports(after)) == len(site_reports(before)) + 1
    assert after.select_one("h1").get_text(strip=True).startswith("Tidewater Robotics drone inspects")  # the new lead


def test_bad_related_entries_change_nothing(tmp_path):
    plain = write_site(tmp_path / "plain")
    build_site(plain)
    odd = write_site(
        tmp_path / "odd",
        related=[
            {"title": "Itself", "webUrl": "https://alpha.example/8"},
            {"title": "Shared", "webUrl": "https://shared.example/x"},
            {"title": "Not http", "webUrl": "javascript:alert(1)"},
        ],
    )
    for n in (0, 1):  # two background articles with one URL: a related entry naming it is ambiguous
        write_article(
            odd / "content",
            f"2026-11-0{n + 1}-bg-{n}.md",
            article_fields(
                n,
                title=BACKGROUND[n],
                excerpt=f"Details of {BACKGROUND[n].lower()}.",
                topics=["Local"],
                webUrl="https://shared.example/x",
                provider={"name": f"Paper {n}", "domain": f"paper{n}.example"},
            ),
        )
    assert not build_site(odd).failed
    for folder in ("plain", "odd"):
        listed = json.loads((tmp_path / folder / "public/api/stories/index.json").read_text())["value"]
        assert [s["members"] for s in listed] == [[f"/news/2026-11-20-drone-{s}/" for s in "abc"]]


def touch_later(path):
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


def test_an_edit_in_the_preview_rerenders_only_what_changed_as_a_clean_build_would(tmp_path):
    """(That a change regroups only the weeks around it is tests/unit/test_stories.py's: this site is too small.)"""
    root = write_site(tmp_path)
    for n in range(30):  # a month of other news, whose pages an edit in November leaves alone
        write_article(
            root / "content",
            f"2026-10-{n + 1:02d}-old-{n}.md",
            article_fields(
                n,
                title=f"Archive item {n} about the {BACKGROUND[n % 10].split()[1]} matter",
                publishedDateTime=f"2026-10-{n + 1:02d}T09:00:00Z",
                topics=["Local"],
                provider={"name": f"Paper {n}", "domain": f"paper{n}.example"},
            ),
        )
    builder = Builder(
        BuildOptions(
            content_dir=root / "content",
            output_dir=root / "preview",
            config_path=root / "site.yaml",
            now=NOW,
            fingerprint_assets=False,
        ),
        preview=True,
    )
    first = builder.build()
    assert builder.state.grouper is not None and builder.state.grouper.regrouped == first.articles
    # A headline edit that leaves every story as it was: only pages that show the article.
    path = root / "content/2026-11-20-drone-c.md"
    path.write_text(path.read_text().replace("launches hull inspection drone", "launches its hull inspection drone"))
    touch_later(path)
    edited = builder.build(Changes(content=frozenset([path.name])))
    assert 0 < edited.rendered < first.rendered / 5
    assert {
        "news/2026-11-20-drone-c/index.html",
        "news/2026-11-20-drone-a/index.html",  # its sidebar shows the title
        "stories/2026-11-20-drone-a/index.html",
    } <= set(edited.report.written)
    assert not any(path.startswith("news/2026-10-") for path in edited.report.written)
    # A new report of the story: the story's pages re-render.
    write_article(
        root / "content",
        "2026-11-20-drone-d.md",
        fields(
            18,
            "delta",
            "Tidewater Robotics drone checks ship hulls",
            "The Tidewater hull drone spots corrosion.",
            topics=["Robotics"],
        ),
    )
    grown = builder.build(Changes(content=frozenset(["2026-11-20-drone-d.md"])))
    page = soup(root / "preview/stories/2026-11-20-drone-a/index.html")
    assert len(site_reports(page)) == 4
    assert grown.rendered < first.rendered / 2
    fresh = Builder(
        BuildOptions(
            content_dir=root / "content",
            output_dir=root / "clean",
            config_path=root / "site.yaml",
            now=NOW,
            fingerprint_assets=False,
        ),
        preview=True,
    )
    clean = fresh.build()  # from scratch, with the preview's settings
    fresh.close()
    assert not clean.failed
    for name in ("index.html", "stories/2026-11-20-drone-a/index.html", "news/2026-11-20-drone-b/index.html"):
        assert (root / "preview" / name).read_text().replace("/livereload", "") == (root / "clean" / name).read_text()


def test_the_day_page_the_e_mail_and_the_api_count_every_outlet_of_a_story(site):
    public = site / "public"
    day = soup(public / "digest/2026-11-20/index.html")
    entry = day.select_one(".day-entry")
    assert entry.select_one(".day-entry-title a").get_text() == DRONE[0][3]
    assert entry.select_one(".coverage").get_text(" ", strip=True) == "+3 outlets : Beta, Gamma, Delta"
    assert entry.select_one(".coverage a")["href"] == "/stories/2026-11-20-drone-a/"
    email = soup(public / "digest/2026-11-20/email.html")
    title = email.select_one(".story .title")
    # Numbered, the headline links the outlet's own report, the source line the full coverage.
    assert title.get_text(" ", strip=True).startswith("1. " + DRONE[0][3])
    assert title.a["href"] == "https://alpha.example/8"
    coverage = email.select_one(".story .source a")
    assert coverage.get_text() == "Full coverage: 4 outlets"
    assert coverage["href"] == "https://news.example/stories/2026-11-20-drone-a/"
    text = (public / "digest/2026-11-20/email.txt").read_text()
    assert f"1. {DRONE[0][3]}" in text and "https://alpha.example/8" in text and "and 3 more outlets" in text
    items = json.loads((public / "api/news/index.json").read_text())["value"]
    outlets = {item["slug"]: item["outlets"] for item in items}
    assert outlets["2026-11-20-drone-b"] == 4 and outlets["2026-11-01-bg-0"] == 1
