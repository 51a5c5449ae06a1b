import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.clean import clean_text, clean_url, normalize_domain, slugify


@pytest.mark.parametrize("raw, expected", [
    ("https://a.example/x", "https://a.example/x"),
    ("http://a.example/x?y=1&#038;z=2", "http://a.example/x?y=1&z=2"),
    ("  https://a.example/  ", "https://a.example/"),
    ("//cdn.example/i.png", "https://cdn.example/i.png"),
    ("/assets/logo.png", "/assets/logo.png"),
    ("javascript:alert(1)", None),
    ("JaVaScRiPt:alert(1)", None),
    ("java\tscript:alert(1)", None),
    (" javascript:alert(1)", None),
    ("data:text/html;base64,AAAA", None),
    ("vbscript:msgbox", None),
    ("relative/path.png", None),
    ("http://[::1", None),
    ("https://", None),
    ("https:\\\\evil.example", None),
    (42, None),
])
def test_clean_url(raw, expected):
    assert clean_url(raw) == expected


def test_clean_url_can_refuse_site_relative():
    assert clean_url("/x", allow_relative=False) is None


@pytest.mark.parametrize("text, slug", [
    ("Hello, World!", "hello-world"),
    ("Ça va? Übergröße", "ca-va-ubergrosse"),
    ("../../etc/passwd", "etc-passwd"),
    ("a/b\\c\x00d", "a-b-c-d"),
    ("日本語のニュース", "日本語のニュース"),
    ("!!!", ""),
])
def test_slugify(text, slug):
    assert slugify(text) == slug


def test_slugify_limits_length_on_a_word_boundary():
    slug = slugify("word " * 100)
    assert len(slug) <= 80 and not slug.endswith("-")


def test_clean_text_keeps_curly_quotes_and_strips_controls():
    assert clean_text("“Quoted” text\x07") == ("“Quoted” text", False)


@pytest.mark.parametrize("raw, domain", [("www.Example.COM", "example.com"), ("https://news.example/path", "news.example"), ("", "")])
def test_normalize_domain(raw, domain):
    assert normalize_domain(raw) == domain


def test_slugify_keeps_names_within_file_system_limits():
    slug = slugify("日本語 " * 200, max_length=500)
    assert 0 < len(slug.encode("utf-8")) <= 200


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["https://", "http://", "HTTP://", "https:", "//", "/", "javascript:", "data:"]),
       st.text(alphabet="ab.-_:@/?#[]&;%20 \t\\\"'<>é~!", max_size=30))
def test_the_fast_path_for_plain_urls_gives_what_the_full_check_gives(prefix, rest):
    from generator.clean import _checked_url

    url = prefix + rest
    assert clean_url(url) == _checked_url(url, True)
