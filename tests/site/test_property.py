"""Property: whatever front matter arrives, the build never crashes and loses nothing silently."""
from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.build.builder import Builder, BuildOptions
from helpers import NOW

FIELDS = ["title", "excerpt", "publishedDateTime", "updatedDateTime", "webUrl", "originalUrl", "type", "quality",
          "heat", "published", "category", "provider", "topics", "images", "related", "slug", "secured", "extra"]
scalars = (st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=True)
           | st.text(max_size=40) | st.datetimes(timezones=st.just(timezone.utc))
           | st.sampled_from(["javascript:alert(1)", "https://ok.example/x", "/assets/x.png", "<script>x</script>",
                              "2026-11-01T10:00:00Z", "NO", "12:30", "investorsâ€™"]))
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["url", "width", "height", "name", "domain", "title", "webUrl"]), children, max_size=4
        )
    ),
    max_leaves=12,
)
front_matter = st.dictionaries(st.sampled_from(FIELDS), values, max_size=8)
# Half the time start from a valid title and date, so that many inputs are published.
articles = st.one_of(
    front_matter,
    st.builds(
        lambda base, extra: {**base, **extra},
        st.fixed_dictionaries(
            {
                "title": st.text(min_size=1, max_size=30),
                "publishedDateTime": st.datetimes(
                    min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(timezone.utc)
                ),
            }
        ),
        front_matter,
    ),
)
raw_files = st.one_of(
    articles.map(lambda fm: "---\n" + yaml.safe_dump(fm, allow_unicode=True) + "---\n"),
    st.text(max_size=200).map(lambda t: "---\n" + t + "\n---\n"),
    st.text(max_size=200),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=st.lists(raw_files, min_size=1, max_size=4))
def test_build_never_crashes_and_every_input_is_published_or_reported(files):
    root = Path(tempfile.mkdtemp(prefix="property-"))
    try:
        content = root / "content"
        content.mkdir()
        for n, text in enumerate(files):
            (content / f"input-{n}.md").write_text(text, encoding="utf-8")
        builder = Builder(
            BuildOptions(content_dir=content, output_dir=root / "public", include_unpublished=True, now=NOW)
        )
        result = builder.build()
        assert not result.failed
        errors = {p.path for p in result.errors}
        for n in range(len(files)):
            source = f"input-{n}.md"
            page = builder.page_of(source)
            assert (page is not None) != (source in errors), (
                source,
                [str(p) for p in result.problems if p.path == source],
            )
            if page is not None:
                assert (root / "public" / page).is_file()
        for path in (root / "public").rglob("*"):
            if path.is_file():
                assert b"<script>x</script>" not in path.read_bytes()
    finally:
        shutil.rmtree(root, ignore_errors=True)
