"""The e-mail edition in a real headless Chromium: at 600 px (and on a phone) nothing scrolls sideways."""
from __future__ import annotations

import os
import shutil

import pytest

from browser import CHROMIUM, Browser
from helpers import article_fields, write_article, write_config
from serving import ServeProcess

if not shutil.which("chromium") and not os.path.exists(CHROMIUM):
    pytest.fail(
        f"Chromium is required for browser tests (install Debian's 'chromium'; .ci/run does): {CHROMIUM}", pytrace=False
    )


def test_the_email_edition_fits_600_pixels_and_a_phone(tmp_path):
    site = tmp_path / "site"
    write_config(site)
    long_word = "Supercalifragilisticexpialidocious" * 2  # a headline word wider than a phone
    for n in range(25):
        write_article(
            site / "content",
            f"2026-11-20-s{n}.md",
            article_fields(
                n,
                title=f"Story {n} about {long_word if n == 3 else 'the harbour'} plan number {n * 37}",
                publishedDateTime=f"2026-11-20T{n % 24:02d}:00:00Z",
                provider={"name": f"Outlet {n}", "domain": f"o{n}.example"},
            ),
        )
    server = ServeProcess(site)
    browser = Browser()
    try:
        page = browser.new_page()
        for width in (600, 375):
            page.send(
                "Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1, mobile=width < 600
            )
            page.navigate(server.url + "digest/2026-11-20/email.html")
            assert page.evaluate("document.querySelectorAll('.title a').length") == 20
            # A phone widens its layout viewport to fit what overflows, so compare with the screen's width.
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, (width, scroll)
            assert page.console_errors() == []
    finally:
        browser.close()
        assert server.stop() == 0
