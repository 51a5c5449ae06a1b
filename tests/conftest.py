import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

# Tests that take seconds each (real server processes, many builds): left out of `make check`, run by `make test`.
SLOW_FILES = {
    "test_interrupts.py",
    "test_publishing_safety.py",
    "test_output_safety.py",
    "test_fetch.py",
    "test_cache_never_wrong.py",
    "test_mirror.py",
    "test_torture.py",
    "test_real_fixtures.py",
    "test_story_quality.py",
    "test_property.py",
    "test_fast_jinja.py",
    "test_package.py",
    "test_incremental.py",
    "test_cache.py",
    "test_cli.py",
    "test_download_limits.py",
    "test_hostile_input.py",
    "test_search.py",
    "test_digest.py",
    "test_stories_site.py",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``browser``: real Chromium; ``slow``: real server processes or many builds (both left out of `make check`)."""
    for item in items:
        path = Path(str(item.fspath))
        if path.parent.name == "e2e":
            item.add_marker(pytest.mark.slow)
            if "browser" in path.name or path.name in (
                "test_reader.py",
                "test_email_browser.py",
                "test_search_preview.py",
            ):
                item.add_marker(pytest.mark.browser)
        elif path.name in SLOW_FILES:
            item.add_marker(pytest.mark.slow)
