"""Every page kind as a reader gets it, in real headless Chromium over a real HTTP server on 127.0.0.1:
axe-core finds no violation in light and dark mode, wide and at 360 px; nothing scrolls sideways on a phone;
with the network off, no picture leaves a broken-image icon; the last day's times read "3 h ago".

axe-core comes from the npm registry (``make test`` installs it into .cache/npm), never from a CDN.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from browser import CHROMIUM, OFFLINE, Browser
from helpers import FIXTURES, article_fields, build_site, needs_fixtures, write_article, write_config
from serving import serve_folder

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / ".cache/npm/node_modules/axe-core/axe.min.js"

if not shutil.which("chromium") and not os.path.exists(CHROMIUM):
    pytest.fail(
        f"Chromium is required for browser tests (install Debian's 'chromium'; .ci/run does): {CHROMIUM}", pytrace=False
    )
if not AXE.is_file():
    pytest.fail(
        f"axe-core is required for the accessibility tests: run `make test` (it installs {AXE.relative_to(REPO)})",
        pytrace=False,
    )

NOW = datetime.now(timezone.utc).replace(microsecond=0)
STORY = [
    ("alpha", "Tidewater Robotics drone inspects ship hulls in Rotterdam harbour"),
    ("beta", "Tidewater drone inspects ship hulls at Rotterdam without divers"),
    ("gamma", "Rotterdam harbour tests Tidewater hull inspection drone"),
]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_reader_site(site: Path) -> None:
    """A small site with every page kind: a story across three outlets, articles with and without a picture
    (pictures on other hosts, which the offline browser cannot fetch), topic metadata, several days, page 2."""
    write_config(site, page_size=3, title="Harbour Digest", description="Robots at sea, every day")
    content = site / "content"
    for n, (outlet, title) in enumerate(STORY):
        write_article(
            content,
            f"story-{outlet}.md",
            article_fields(
                n,
                title=title,
                excerpt=f"{outlet.title()} reports that the Tidewater drone found corrosion on a hull.",
                publishedDateTime=iso(NOW - timedelta(hours=3 + n)),
                topics=["Robotics", "Shipping"],
                provider={"name": f"{outlet.title()} News", "domain": f"{outlet}.example"},
                quality=50 - n,
            ),
        )
    words = ["lantern", "quarry", "meadow", "orchard", "beacon", "glacier", "canyon", "citadel"]
    for n, word in enumerate(words):
        fields = article_fields(
            10 + n,
            title=f"The {word} project reaches its next stage",
            topics=["Robotics", "Energy"],
            publishedDateTime=iso(NOW - timedelta(days=1 + n, hours=2)),
            provider={"name": f"Outlet {n % 3}", "domain": f"o{n % 3}.example"},
        )
        if n % 2:
            fields["images"] = None
        write_article(content, f"plain-{word}.md", fields)
    topics = content / "_data/topics"
    topics.mkdir(parents=True)
    (topics / "robotics.yaml").write_text(
        "name: Robotics\ndescription: Machines **that move** on their own.\n"
        "images:\n  - https://img.example/topics/robotics.jpg\n"
    )


@pytest.fixture(scope="module")
def offline_browser():
    instance = Browser(OFFLINE)
    yield instance
    instance.close()


@pytest.fixture(scope="module")
def reader_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("reader")
    write_reader_site(root / "site")
    result = build_site(root / "site")
    assert not result.failed and not result.errors, result.problems
    server = serve_folder(root / "site/public")
    yield f"http://127.0.0.1:{server.server_address[1]}/", root / "site/public"
    server.shutdown()


def page_kinds(public: Path) -> dict[str, str]:
    """One page of every kind, by what a reader would call it."""
    story = next((public / "stories").iterdir()).name
    day = sorted(p.name for p in (public / "digest").iterdir() if p.name[:1].isdigit() and len(p.name) == 10)[-1]
    bare = next(p.parent.name for p in (public / "news").glob("*/index.html") if "<figure" not in p.read_text())
    pictured = next(p.parent.name for p in (public / "news").glob("*/index.html") if "<figure" in p.read_text())
    return {
        "home": "",
        "home page 2": "page/2/",
        "article with picture": f"news/{pictured}/",
        "article without picture": f"news/{bare}/",
        "story": f"stories/{story}/",
        "day": f"digest/{day}/",
        "e-mail edition": f"digest/{day}/email.html",
        "archive": "digest/",
        "topic": "topics/robotics/",
        "topic page 2": "topics/robotics/page/2/",
        "provider": "providers/o0.example/",
        "topics": "topics/",
        "providers": "providers/",
        "search": "search/",
        "search results": "search/?q=drone",
        "not found": "404.html",
    }


def run_axe(page) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "axe.run(document).then(r => JSON.stringify(r.violations.map("
        "v => [v.id, v.impact, v.nodes.map(n => n.target.join(' ')).slice(0, 3)])))",
        wait=True,
    )
    return [f"{rule} ({impact}): {targets}" for rule, impact, targets in json.loads(found)]


def axe_and_overflow_problems(base: str, public: Path, browser: Browser, widths=(1280, 360)) -> list[str]:
    """axe-core's violations on every page kind, light and dark, at each width; and any sideways scroll at 360 px."""
    kinds = page_kinds(public)
    assert all(
        (public / path.split("?")[0].removesuffix("/") / ("" if path.endswith(".html") else "index.html")).exists()
        for path in kinds.values()
        if path
    ), kinds
    page = browser.new_page()
    problems = []
    for width in widths:
        for dark in (False, True):
            page.emulate(width, dark)
            for kind, path in kinds.items():
                page.navigate(base + path)
                page.wait_for("document.fonts.status === 'loaded'")
                if "?q=" in path:
                    page.wait_for("document.querySelector('.search-result') !== null")
                mode = f"{kind} ({'dark' if dark else 'light'}, {width} px)"
                problems += [f"{mode}: {violation}" for violation in run_axe(page)]
                if width == 360:
                    overflow = page.evaluate(
                        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                    )
                    if overflow > 0:
                        problems.append(f"{mode}: scrolls sideways by {overflow} px")
    page.close()
    return problems


def test_every_page_kind_passes_axe_in_light_and_dark_wide_and_narrow_and_never_scrolls_sideways(
    reader_site, offline_browser
):
    base, public = reader_site
    problems = axe_and_overflow_problems(base, public, offline_browser)
    assert problems == [], "\n".join(problems)


def test_a_right_to_left_site_mirrors_passes_axe_and_never_scrolls_sideways(tmp_path, offline_browser):
    site = tmp_path / "site"
    write_reader_site(site)
    write_config(site, page_size=3, title="Harbour Digest", description="Robots at sea, every day", language="ar")
    result = build_site(site)
    assert not result.failed and not result.errors, result.problems
    assert not [p for p in result.warnings if "catalog" in p.message]  # the Arabic catalog is complete
    server = serve_folder(site / "public")
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        page = offline_browser.new_page()
        page.emulate(360, False)
        page.navigate(base)
        assert page.evaluate("document.documentElement.dir") == "rtl"
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
        # The mirror: the site title starts at the right edge, the reports' timeline rule is on the right.
        assert page.evaluate("document.querySelector('.site-title').getBoundingClientRect().right") > 300
        arabic = "/[\\u0600-\\u06FF]/.test(document.querySelector({selector!r}).textContent)"
        assert page.evaluate(arabic.format(selector=".day-heading"))  # the interface in Arabic
        # Relative times in the page's language, by the browser's own CLDR data ("منذ ٣ ساعات").
        # (the script has replaced the written date, which stays in the title)
        relative = "(t => t.title !== '' && t.textContent !== t.title && /[\\u0600-\\u06FF]/.test(t.textContent))"
        assert page.wait_for(relative + "(document.querySelector('.updated time'))")
        page.close()
        problems = axe_and_overflow_problems(base, site / "public", offline_browser, widths=(360,))
    finally:
        server.shutdown()
    assert problems == [], "\n".join(problems)


BROKEN = """[...document.images].filter(i => i.complete && i.naturalWidth === 0).map(i => i.getAttribute('src'))"""
# A box a picture sits in that is left without a picture that loaded: a grey box, or a gap.
PICTURE_BOXES = ".card-thumb, .lead-thumb, .lead-image, .mini-thumb, .coverage-thumb, .topic-banner"
EMPTY_BOXES = f"""[...document.querySelectorAll('{PICTURE_BOXES}')].filter(box => box.getBoundingClientRect().height > 0
                  && ![...box.querySelectorAll('img')].some(i => i.naturalWidth > 0)).length"""


def check_offline_pictures(page, url: str) -> int:
    """Asserts that no picture of the page shows a broken-image icon or leaves an empty box behind; returns how
    many pictures failed (and went)."""
    with urllib.request.urlopen(url) as response:
        sent = len(re.findall(r"<img\b", response.read().decode()))
    page.navigate(url)
    page.evaluate(
        "document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')"
    )  # all start, and fail
    page.wait_for("[...document.images].every(i => i.complete)")
    page.wait_for(f"({BROKEN}).length === 0", timeout=5)
    assert page.evaluate(EMPTY_BOXES) == 0, url  # a failed picture's box went with it: no grey box, no gap
    shown: int = page.evaluate("document.images.length")
    return sent - shown


def test_offline_a_failed_picture_goes_with_its_box_and_never_shows_a_broken_image_icon(reader_site, offline_browser):
    base, public = reader_site
    page = offline_browser.new_page()
    page.emulate(1280, False)
    failed = sum(check_offline_pictures(page, base + path) for path in page_kinds(public).values())
    assert failed > 10  # the pictures did fail: each went with its box, none left an icon
    page.close()


@needs_fixtures
def test_the_real_ai_site_offline_has_no_broken_image_icon(tmp_path, offline_browser):
    source = FIXTURES / "real-ai"
    site = tmp_path / "site"
    write_config(site, search=False)
    shutil.copytree(source, site / "content")
    assert not build_site(site, include_unpublished=True).failed
    public = site / "public"
    server = serve_folder(public)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        page = offline_browser.new_page()
        page.emulate(1280, False)
        pages = [
            "",
            "topics/ai/",
            "providers/",
            *(f"news/{p.name}/" for p in sorted((public / "news").iterdir())[:25]),
            *(f"stories/{p.name}/" for p in sorted((public / "stories").iterdir())[:5]),
        ]
        assert sum(check_offline_pictures(page, base + path) for path in pages) > 20
        page.close()
    finally:
        server.shutdown()


def test_the_last_day_s_times_read_as_relative_with_the_absolute_time_kept(reader_site, offline_browser):
    base, public = reader_site
    page = offline_browser.new_page()
    page.navigate(base)
    times = page.wait_for(
        "[...document.querySelectorAll('.headline-item time.ago')].map(t => [t.textContent, t.title])"
    )
    # The browser's own words for the page's language (Intl.RelativeTimeFormat, English here: "3 hr. ago").
    assert [re.fullmatch(r"[34] hr\. ago", text) is not None for text, _title in times[:1]] == [True], times[:1]
    assert all(title and any(ch.isdigit() for ch in title) for _text, title in times)
    assert page.evaluate("document.querySelector('.updated time').textContent").endswith("hr. ago")
    # Without the script the page says the absolute time.
    assert " ago<" not in (public / "index.html").read_text()
    page.close()
