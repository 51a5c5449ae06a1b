import re
from datetime import timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.content.clean import clean_excerpt, clean_text, clean_url, normalize_domain, slugify, strip_dateline
from helpers import FIXTURES, needs_fixtures


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


@pytest.mark.parametrize(
    "raw, domain", [("www.Example.COM", "example.com"), ("https://news.example/path", "news.example"), ("", "")]
)
def test_normalize_domain(raw, domain):
    assert normalize_domain(raw) == domain


def test_slugify_keeps_names_within_file_system_limits():
    slug = slugify("日本語 " * 200, max_length=500)
    assert 0 < len(slug.encode("utf-8")) <= 200


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(["https://", "http://", "HTTP://", "https:", "//", "/", "javascript:", "data:"]),
    st.text(alphabet="ab.-_:@/?#[]&;%20 \t\\\"'<>é~!", max_size=30),
)
def test_the_fast_path_for_plain_urls_gives_what_the_full_check_gives(prefix, rest):
    from generator.content.clean import _checked_url

    url = prefix + rest
    assert clean_url(url) == _checked_url(url, True)


@pytest.mark.parametrize(
    "text, kept",
    [
        (
            "REUTERS/Jane Roe/Illustration/File Photo Feb 24 (Reuters) - Acme Corp said on Friday it will open a lab",
            "Acme Corp said on Friday it will open a lab",
        ),
        (
            "BERLIN (KTV) -- The city council voted to fund a network of charging posts",
            "The city council voted to fund",
        ),
        (
            "(Bloomberg) --The delivery robots covered more streets than planned this month",
            "The delivery robots covered",
        ),
        (
            'OSLO--(BUSINESS WIRE)--The "Sensor Market Outlook" report has been added today',
            'The "Sensor Market Outlook"',
        ),
        ("PORTLAND, Maine — Students at the college built a robot that sorts recycling", "Students at the college"),
        ("NEW YORK, Mar 3 (AP) - Shares of the chipmaker rose after it reported results", "Shares of the chipmaker"),
        ("GENEVA — The regulator opened an inquiry into how the model was trained", "The regulator opened"),
    ],
)
def test_a_wire_credit_and_dateline_are_stripped_from_the_start(text, kept):
    assert strip_dateline(text).startswith(kept)


@pytest.mark.parametrize(
    "text",
    [
        "AI for threat intelligence – a guide for analysts who read logs all day long",
        "NASA - The agency launched its probe on Monday toward the outer planets",
        "Generative AI — the new technology — will change how people write",
        "The future of robots is here – and it is smaller than anyone expected",
        "IBM (NYSE: IBM) today announced a new mainframe with an on-chip accelerator",
        "PARIS (AFP) - Short",  # nothing worth keeping would be left
    ],
)
def test_text_that_only_looks_like_a_dateline_is_kept(text):
    assert strip_dateline(text) == text


@pytest.mark.parametrize(
    "text, kept",
    [
        (
            "Model trains wait at a depot in this illustration picture taken May 2, 2025. "
            "REUTERS/Ann Teller/Illustration/File Photo Acquire Licensing Rights LYON, May 2 - "
            "The rail operator said it would test driverless shunting",
            "The rail operator said",
        ),
        (
            "REUTERS/Ann Teller/File Photo May 2 (Reuters) - The rail operator said it would test driverless shunting",
            "The rail operator said",
        ),
        (
            "Visitors queue at the fair in Turin, on May 2, 2025 - Copyright AFP MARCO ROSSI-BIANCHI"
            "The organisers said "
            "ticket sales doubled after the robotics hall opened",
            "The organisers said",
        ),
        (
            "A courier robot waits at a kerb in Leeds. (Photo by Jane Doe/Getty Images) Delivery firms are buying more "
            "sidewalk robots than ever, a trade group said",
            "Delivery firms are buying",
        ),
        (
            "Workers assemble drones in a hangar. AP Photo/Sam Smith The ministry said output tripled this year, "
            "according to its own figures",
            "The ministry said",
        ),
        (
            "A lab bench with sensors. AFP via Getty Images The start-up raised money to build cheaper gas sensors "
            "for small farms",
            "The start-up raised",
        ),
    ],
)
def test_a_photo_caption_credit_and_licensing_line_are_stripped_from_the_start(text, kept):
    assert clean_excerpt(text).startswith(kept)


@pytest.mark.parametrize(
    "text",
    [
        "The service offers a credit system that renews every month, which photographers praised at the fair.",
        "A file photo tool sorts pictures by the faces in them; the maker says it runs offline on a laptop.",
        "Getty Images sued the start-up over pictures used to train its model, court papers filed on Monday show.",
        "REUTERS/Ann Teller/File Photo short",  # nothing worth keeping would be left
    ],
)
def test_text_that_only_mentions_pictures_or_credits_is_kept(text):
    assert clean_excerpt(text) == text


@needs_fixtures
def test_real_excerpts_open_with_the_story_not_a_picture_credit():
    from generator.content.read import read_article

    for path in sorted((FIXTURES / "real-ai" / "_news").glob("*.md")):
        excerpt = read_article(path, path.name, timezone.utc).article.excerpt
        assert not re.search(r"Licensing Rights|REUTERS/|Getty Images|Copyright AFP|File Photo", excerpt[:200]), (
            path.name
        )


@needs_fixtures
def test_real_wire_excerpts_lose_their_datelines():
    from generator.content.read import read_article

    news = FIXTURES / "real-ai" / "_news"
    stripped = 0
    for path in sorted(news.glob("*.md")):
        article = read_article(path, path.name, timezone.utc).article
        raw = path.read_text(encoding="utf-8")
        for excerpt in [article.excerpt] + [r.excerpt for r in article.related]:
            assert not excerpt.startswith(("REUTERS/", "(Bloomberg) --", "CHICAGO (WLS)", "DUBLIN--(BUSINESS WIRE)"))
            if excerpt and excerpt[:30] not in raw:
                stripped += 1
    assert stripped >= 4  # the fixture's wire stories, one per credit or dateline form


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x7F), max_size=30))
def test_plain_ascii_text_is_only_trimmed_and_its_spaces_collapsed(text):
    import html
    import re

    cleaned, repaired = clean_text(text)
    expected = re.sub(
        r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", html.unescape(re.sub(r"<(?:[A-Za-z!/?][^<>]*)>", " ", text))
    )
    assert cleaned == " ".join(expected.split()) and not repaired
