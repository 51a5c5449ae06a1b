from urllib.parse import urlsplit

from hypothesis import given
from hypothesis import strategies as st

from generator.core.urls import absolute_url, absolute_writer
from generator.render.environment import hue, og_locale, without_empty


def test_og_locale_has_a_territory():
    assert og_locale("en") == "en_US" and og_locale("pt-BR") == "pt_BR" and og_locale("zh-Hant-TW") == "zh_TW"
    assert og_locale("de") == "de_DE" and og_locale("EN-gb") == "en_GB" and og_locale("eo") == "eo_EO"


def test_without_empty_drops_absent_values_at_every_depth():
    data = {
        "a": None,
        "b": "",
        "c": [],
        "d": {},
        "e": 0,
        "f": False,
        "g": {"h": None, "i": [None, "", "x"]},
        "j": {"k": None},
    }
    assert without_empty(data) == {"e": 0, "f": False, "g": {"i": ["x"]}}


_json_like = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from(["", "x", "0"]) | st.just(()),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from("abcd"), inner, max_size=4),
    max_leaves=20,
)


@given(_json_like)
def test_without_empty_keeps_what_the_plain_definition_keeps(value):
    def plain(value):  # the definition: drop None, "", [] and {} at every depth (0, false and the rest stay)
        if isinstance(value, dict):
            kept = {k: plain(v) for k, v in value.items()}
            return {k: v for k, v in kept.items() if v not in (None, "", [], {})}
        if isinstance(value, list):
            return [v for v in map(plain, value) if v not in (None, "", [], {})]
        return value

    assert without_empty(value) == plain(value)


def test_monogram_hue_is_stable_and_spread():
    assert hue("forbes.com") == hue("forbes.com") and 0 <= hue("forbes.com") < 360
    assert len({hue(f"outlet{n}.example") for n in range(40)}) > 20


def _environment(tmp_path, templates: dict[str, str], zone=None):
    from generator.core.models import SiteConfig
    from generator.render.environment import make_environment

    for name, text in templates.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return make_environment(SiteConfig(timezone=zone), [tmp_path])


def test_output_is_escaped_once_whatever_is_written(tmp_path):
    import jinja2
    import pytest
    from markupsafe import Markup

    class Shown:
        def __html__(self):
            return "<b>own</b>"

        def __str__(self):
            return "<not used>"

    env = _environment(
        tmp_path,
        {
            "page.html": "{% macro m(x) %}<i>{{ x }}</i>{% endmacro %}"
                         "{{ a }}|{{ b }}|{{ c }}|{{ n }}|{{ m(a) }}|{{ m(a)|upper }}",
            "plain.txt": "{{ a }}",
            "missing.html": "{{ nowhere }}",
        },
    )
    text = env.get_template("page.html").render(
        a="<script>\"x\" & 'y'</script>", b=Markup("<em>safe</em>"), c=Shown(), n=3
    )
    assert text == (
        "&lt;script&gt;&#34;x&#34; &amp; &#39;y&#39;&lt;/script&gt;|<em>safe</em>|<b>own</b>|3|"
        "<i>&lt;script&gt;&#34;x&#34; &amp; &#39;y&#39;&lt;/script&gt;</i>|"
        "<I>&LT;SCRIPT&GT;&#34;X&#34; &AMP; &#39;Y&#39;&LT;/SCRIPT&GT;</I>"
    )
    assert env.get_template("plain.txt").render(a="<a>") == "<a>"  # not HTML: not escaped
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("missing.html").render()


def test_moments_format_by_instant_and_iso_keeps_each_offset(tmp_path):
    from datetime import datetime, timedelta, timezone

    env = _environment(tmp_path, {"t.html": "{{ m|local_datetime }} {{ m|iso }}"}, zone=timezone(timedelta(hours=1)))
    utc = datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc)
    same_instant = utc.astimezone(timezone(timedelta(hours=-5)))
    template = env.get_template("t.html")
    # CLDR's English: the date month first, the time on a 12-hour clock with a narrow no-break space before AM
    assert template.render(m=utc) == "March 2, 2026, 12:30\u202fAM 2026-03-01T23:30:00Z"
    assert template.render(m=same_instant) == "March 2, 2026, 12:30\u202fAM 2026-03-01T18:30:00-05:00"
    assert template.render(m=utc + timedelta(minutes=1)) == "March 2, 2026, 12:31\u202fAM 2026-03-01T23:31:00Z"


def test_json_is_the_standard_librarys_compact_json_and_takes_what_orjson_refuses():
    import json

    from generator.render.environment import json_bytes

    value = {"b": [1, 2.5, None, True], "a": "caf\u00e9 \u2028 \x1f </script> \U0001f600", "n": 1e16, 3: "int key"}
    standard = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    assert json_bytes(value) == standard
    keyed = {"z": 1, "a": {"y": 2, "b": 3}}
    assert json_bytes(keyed, sort_keys=True) == json.dumps(keyed, separators=(",", ":"), sort_keys=True).encode()
    assert json.loads(json_bytes({"big": 2**70})) == {"big": 2**70}  # past 64 bits: the standard library writes it


def test_tojson_in_a_page_is_sorted_and_safe_inside_a_script(tmp_path):
    import json

    env = _environment(tmp_path, {"ld.html": "<script>{{ data|tojson }}</script>"})
    text = env.get_template("ld.html").render(data={"z": "</script><b>&'", "a": 1})
    inner = text.removeprefix("<script>").removesuffix("</script>")
    assert "<" not in inner and "&" not in inner and "'" not in inner
    assert inner.index('"a"') < inner.index('"z"') and json.loads(inner) == {"z": "</script><b>&'", "a": 1}


@given(
    st.sampled_from(["https://news.example/", "https://news.example/sub/", "http://127.0.0.1:8000/"]),
    st.text(alphabet="/abcé-:.?=", max_size=20) | st.sampled_from(["https://other.example/x", "http://x/", "/", ""]),
)
def test_the_absolute_url_writer_writes_what_absolute_url_writes(base_url, target):
    base_path = urlsplit(base_url).path
    assert absolute_writer(base_url, base_path)(target) == absolute_url(base_url, base_path, target)


def test_attributes_read_as_jinja_reads_them_and_the_object_once(tmp_path):
    """``a.b`` is compiled to a plain getattr with Jinja's lookup behind it: the same text as stock Jinja for
    attributes, dict keys, methods, nested chains and missing names, and the object before the dot is
    evaluated once even when the attribute is missing."""
    import jinja2
    import pytest

    class Item:
        name = "item"

        @property
        def broken(self):
            raise AttributeError("no")

        def child(self):
            calls.append(1)
            return {"key": "from a dict", "items": "a key, not the method"}

    calls: list[int] = []
    text = (
        "{{ i.name }}|{{ d.key }}|{{ d.items() | list | length }}|{{ i.child().key }}|"
        "{{ i.child().nothing is defined }}|"
        "{{ d.inner.deeper }}|{{ i.broken is defined }}|{{ d.absent is defined }}|{{ i.name.upper() }}"
    )
    values = {"i": Item(), "d": {"key": "k", "inner": {"deeper": "deep"}}}
    ours = _environment(tmp_path, {"attrs.html": text}).get_template("attrs.html")
    stock = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(text)
    assert ours.render(**values) == stock.render(**values)
    assert ours.render(**values) == "item|k|2|from a dict|False|deep|False|False|ITEM"
    calls.clear()
    ours.render(**values)
    assert len(calls) == 2  # i.child() twice in the template, each evaluated once
    with pytest.raises(jinja2.UndefinedError):  # the site's StrictUndefined: a missing attribute printed is an error
        _environment(tmp_path, {"strict.html": "{{ i.nowhere }}"}).get_template("strict.html").render(**values)


def test_calls_in_templates_are_plain_python_calls_with_jinjas_arguments(tmp_path):
    """Positional, keyword, Python-keyword (``class``), ``*args``/``**kwargs`` arguments, macros with
    defaults, ``{% call %}`` blocks and calls of calls give stock Jinja's text; calling nothing is an error."""
    import jinja2
    import pytest

    def join(*args, **kwargs):
        return "-".join(map(str, args)) + "|" + ",".join(f"{k}={v}" for k, v in sorted(kwargs.items()))

    def maker(prefix):
        return lambda value: f"{prefix}{value}"

    text = (
        "{% macro m(a, b=2, c=3) %}[{{ a }} {{ b }} {{ c }}]{% endmacro %}"
        "{% macro wrap(tag) %}<{{ tag }}>{{ caller(tag) }}</{{ tag }}>{% endmacro %}"
        "{{ join() }} {{ join(1, 2, k='v') }} {{ join(*xs, **kw) }} {{ join(0, *xs, z=1, **kw) }} "
        "{{ join(**{'class': 'c', 'for': 'f'}) }} {{ m(1) }} {{ m(1, c=9) }} {{ m(a=5, b=6) }} "
        "{{ maker('>')(join(3)) }} {% call(t) wrap('p') %}in {{ t }}{% endcall %} {{ range(3)|list }}"
    )
    values = {"join": join, "maker": maker, "xs": [7, 8], "kw": {"q": "r"}}
    ours = _environment(tmp_path, {"calls.html": text}).get_template("calls.html").render(**values)
    stock = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(text).render(**values)
    assert ours == stock and "7-8|q=r" in ours and "[1 2 9]" in ours and "&lt;p&gt;" not in ours
    with pytest.raises(jinja2.UndefinedError):
        _environment(tmp_path, {"nothing.html": "{{ nowhere(1) }}"}).get_template("nothing.html").render()


def test_macros_take_their_arguments_as_jinja_gives_them(tmp_path):
    """Macros called by position, by name, with defaults, through {% call %}, with varargs and kwargs give
    stock Jinja's text, and a call Jinja refuses is refused the same way."""
    import jinja2
    import pytest

    text = (
        "{% macro m(a, b=2, c=3) %}[{{ a }} {{ b }} {{ c }}]{% endmacro %}"
        "{% macro rest(a) %}({{ a }} {{ varargs|list }} {{ kwargs|dictsort }}){% endmacro %}"
        "{% macro framed(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}"
        "{% macro escaped(x) %}{{ x }}<br>{% endmacro %}"
        "{{ m(1) }}{{ m(1, 5) }}{{ m(1, c=9) }}{{ m(a=4, c=8) }}{{ m(b=7, a=6) }}"
        "{{ rest(1, 2, 3, k='v') }}{% call framed('p') %}inside{% endcall %}"
        "{{ escaped('<i>') }}{{ escaped('<i>')|upper }}"
    )
    ours_env = _environment(tmp_path, {"macros.html": text})
    stock_env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    assert ours_env.get_template("macros.html").render() == stock_env.from_string(text).render()
    assert "[4 2 8]" in ours_env.get_template("macros.html").render()
    for call in ("m(1, a=2)", "m(1, 2, 3, 4)", "m(1, z=2)"):
        bad = "{% macro m(a, b=2, c=3) %}{{ a }}{% endmacro %}{{ " + call + " }}"
        with pytest.raises(TypeError) as stock_error:
            stock_env.from_string(bad).render()
        with pytest.raises(TypeError) as our_error:
            _environment(tmp_path, {"bad.html": bad}).get_template("bad.html").render()
        assert str(our_error.value) == str(stock_error.value)


def _closure_memos(functions):
    """The dicts and lru_caches the closures among ``functions`` hold."""
    for function in functions:
        for cell in getattr(function, "__closure__", None) or ():
            value = cell.cell_contents
            if isinstance(value, dict) or hasattr(value, "cache_info"):
                yield value


def _size(memo) -> int:
    return memo.cache_info().currsize if hasattr(memo, "cache_info") else len(memo)


def test_ending_a_render_session_empties_what_its_environment_kept(tmp_path):
    """The environment and its templates refer to each other, so dropping the environment frees nothing while
    the garbage collector is off (as in a build): ending the session must empty what its closures hold."""
    from datetime import datetime, timezone

    from generator.core.models import SiteConfig
    from generator.render.session import RenderSession

    (tmp_path / "moment.html").write_text("{{ when|iso }} {{ when|local_datetime }} {{ when|local_date }}")
    session = RenderSession([tmp_path], preview=False, compiled=lambda: None)
    env = session.environment(SiteConfig(), {})
    for hour in range(5):
        env.get_template("moment.html").render(when=datetime(2026, 11, 2, hour, tzinfo=timezone.utc))
    memos = list(_closure_memos([*env.filters.values(), *env.globals.values()]))
    filled = [memo for memo in memos if _size(memo)]
    assert len(filled) >= 2  # the ISO writer's and the local-time formatter's
    session.end()
    assert [_size(memo) for memo in memos] == [0] * len(memos)
    assert session.environment(SiteConfig(), {}) is not env
