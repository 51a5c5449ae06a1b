"""The digest at first sight, in real Chromium over a real HTTP server, on the crawler's real site (real-ai, its
published articles) with one story of three outlets added: on a 360x800 phone and a 1280x900 desktop, the home
page starts at least 8 and 12 stories inside the first screen, story, article and day pages start their reports
there, and search results read as news items, one per story, with the query in the address bar."""
from __future__ import annotations

import re
import shutil

import pytest

from browser import OFFLINE, Browser
from helpers import FIXTURES, article_fields, build_site, needs_fixtures, write_article, write_config
from serving import serve_folder

pytestmark = needs_fixtures

SCREENS = [(360, 800, 8), (1280, 900, 12)]  # width, height, stories that must start inside the first screen
# One event, three outlets, reworded; dated among the fixture's older days (written for these tests).
STORY = [
    ("a", "Alpha Wire", "2022-06-14T08:00:00Z", "Tidewater Robotics unveils underwater hull inspection drone"),
    ("b", "Beta Daily", "2022-06-14T10:00:00Z", "Underwater inspection drone from Tidewater Robotics maps ship hulls"),
    ("c", "Gamma News", "2022-06-14T15:00:00Z", "Tidewater Robotics launches hull inspection drone for shipping"),
]
STORIES_IN_VIEW = """(() => {{ const seen = new Set();
  for (const e of document.querySelectorAll('main [data-story]')) {{
    const top = e.getBoundingClientRect().top; if (top >= 0 && top < {height}) seen.add(e.dataset.story); }}
  return seen.size; }})()"""
TOP = "Math.round(document.querySelector({selector!r}).getBoundingClientRect().top)"
LAYOUT_SHIFT = """new Promise(done => { let sum = 0;
  new PerformanceObserver(list => { for (const e of list.getEntries()) if (!e.hadRecentInput) sum += e.value; })
    .observe({type: 'layout-shift', buffered: true});
  setTimeout(() => done(sum), 500); })"""


@pytest.fixture(scope="module")
def real_site(tmp_path_factory):
    site = tmp_path_factory.mktemp("first-sight") / "site"
    write_config(site)
    shutil.copytree(FIXTURES / "real-ai", site / "content")
    for suffix, outlet, moment, title in STORY:
        write_article(
            site / "content",
            f"2022-06-14-drone-{suffix}.md",
            article_fields(
                0,
                title=title,
                publishedDateTime=moment,
                images=None,
                topics=["Robotics"],
                quality=50,
                heat=3,
                excerpt=f"{outlet} reports that the Tidewater drone maps corrosion on ship hulls without divers.",
                webUrl=f"https://{suffix}.example/drone",
                provider={"name": outlet, "domain": f"{suffix}.example"},
            ),
        )
    result = build_site(site)
    assert not result.failed and not result.errors, result.errors
    public = site / "public"
    assert len(list((public / "stories").iterdir())) == 1  # the three reports are one story
    server = serve_folder(public)
    browser = Browser(OFFLINE)
    yield f"http://127.0.0.1:{server.server_address[1]}/", public, browser
    browser.close()
    server.shutdown()


def screen(page, width: int, height: int) -> None:
    page.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=width < 600)


@pytest.mark.parametrize("width, height, least", SCREENS)
def test_the_home_page_starts_a_screenful_of_stories_and_says_which_day_and_how_much(real_site, width, height, least):
    base, _public, browser = real_site
    page = browser.new_page()
    screen(page, width, height)
    page.navigate(base)
    assert page.evaluate(STORIES_IN_VIEW.format(height=height)) >= least
    summary = " ".join(page.evaluate("document.querySelector('.home-summary').textContent").split())
    assert re.search(r"September 5, 2023: \d+ stor(y|ies) from \d+ outlets?", summary), summary  # the newest day
    page.close()


@pytest.mark.parametrize("width, height, _least", SCREENS)
def test_story_article_and_day_pages_start_their_reports_on_the_first_screen(real_site, width, height, _least):
    base, public, browser = real_site
    story = next((public / "stories").iterdir()).name
    covered = "news/2023-02-24-meta-to-launch-ai-language-model-llama/"  # with eleven other outlets' reports
    page = browser.new_page()
    screen(page, width, height)
    for path, first in (
        (f"stories/{story}/", ".coverage-item"),
        (covered, ".coverage-item"),
        ("digest/2022-06-14/", ".day-entry"),
    ):
        page.navigate(base + path)
        assert 0 < page.evaluate(TOP.format(selector=first)) < height, path
    page.navigate(base + covered)
    times = page.evaluate("[...document.querySelectorAll('.coverage-item time')].map(t => t.getAttribute('datetime'))")
    assert len(times) > 5 and times == sorted(times)  # "Also covered by" in time order
    page.close()


@pytest.mark.parametrize("width, height, _least", SCREENS)
def test_search_results_read_as_news_items_one_per_story(real_site, width, height, _least):
    base, _public, browser = real_site
    page = browser.new_page()
    screen(page, width, height)
    page.navigate(base + "search/?q=language")
    page.wait_for("document.querySelectorAll('.search-result').length > 3")
    assert page.evaluate(LAYOUT_SHIFT, wait=True) < 0.1
    assert 0 < page.evaluate(TOP.format(selector=".search-result")) < height
    for text, outlet in page.evaluate(
        "[...document.querySelectorAll('.search-result')].map(r => "
        "[r.innerText, (r.querySelector('.search-meta') || {}).textContent || ''])"
    ):
        assert not re.search(r"\b(date|image|outlet|story|thumb|title) ?:\s*\S", text, re.I), text  # no raw metadata
        name = outlet.split(" · ")[0].replace(" ", "")  # a topic's or an outlet's own page has none
        assert not name or name + name not in text.replace(" ", ""), text  # an outlet's name never doubled
    # The filters: behind one control, only values with results, each a target of at least 24 px.
    page.evaluate("document.querySelector('.search-filters').open = true")  # the filter lists load when opened
    page.wait_for("document.querySelectorAll('.search-filter-groups label').length > 0")
    counts = page.evaluate("[...document.querySelectorAll('.search-filter-groups .count')].map(c => c.textContent)")
    assert counts and all(int(c.strip("()")) > 0 for c in counts)
    assert (
        page.evaluate(
            "Math.min(...[...document.querySelectorAll('.search-filter-groups label')]"
            ".map(l => l.getBoundingClientRect().height))"
        )
        >= 24
    )
    page.close()


def test_a_story_is_one_result_and_the_query_lives_in_the_address_bar(real_site):
    base, _public, browser = real_site
    page = browser.new_page()
    screen(page, 1280, 900)
    page.navigate(base + "search/?q=Tidewater")
    page.wait_for("document.querySelectorAll('.search-result').length > 0")
    results = page.evaluate(
        "[...document.querySelectorAll('.search-result')].map(r => r.querySelector('.search-more summary')"
        " ? r.querySelector('.search-more summary').textContent : '')"
    )
    assert results == ["3 more reports"]  # the story page and its three articles: one result
    page.evaluate(
        "const q = document.querySelector('#search-q'); q.value = 'language';"
        "document.querySelector('#search-form').requestSubmit()"
    )
    page.wait_for("location.search === '?q=language'")
    page.wait_for("document.querySelectorAll('.search-result').length > 3")
    page.evaluate("history.back()")
    page.wait_for("location.search === '?q=Tidewater' && document.querySelectorAll('.search-result').length === 1")
    assert page.evaluate("document.querySelector('#search-q').value") == "Tidewater"
    page.evaluate(
        "const o = document.querySelector('select[name=sort]'); o.value = 'newest';o.dispatchEvent(new Event('change'))"
    )
    page.wait_for("location.search === '?q=Tidewater&sort=newest'")
    page.close()
