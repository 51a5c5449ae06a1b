"""The documentation cannot drift from the code: every setting is in the reference, every page linked."""
from __future__ import annotations

import re
from pathlib import Path

from generator.core.config import KNOWN_KEYS, SECTION_KEYS

REPO = Path(__file__).resolve().parents[2]


def test_the_settings_reference_names_every_setting_and_no_other():
    text = (REPO / "docs/settings.md").read_text()
    named = set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.M))
    assert named == set(KNOWN_KEYS)
    for section, keys in SECTION_KEYS.items():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{section}` |"))
        missing = [key for key in keys if not re.search(rf"\b{key}\b", row)]
        assert missing == [], section


def test_the_readme_is_a_front_door_and_every_link_leads_somewhere():
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= 120 and "make build" in readme and "make test" in readme
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links {target}, which is not there"
    linked = set(re.findall(r"\(docs/([a-z-]+\.md)\)", readme))
    assert linked == {path.name for path in (REPO / "docs").glob("*.md")}, "every docs page is linked from the README"
