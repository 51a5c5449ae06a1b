"""The line-by-line front-matter reader must give exactly what PyYAML (ContentLoader) gives, or step aside.

Whenever ``parse_block_mapping`` returns a value it must equal PyYAML's, of the
same types (1 is not 1.0, True is not 1); whenever PyYAML refuses a text, it
must return None so that PyYAML's error is the one reported.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.content.frontmatter import load_yaml_mapping
from generator.core.blockyaml import parse_block_mapping
from generator.core.yaml_loader import SafeLoader
from helpers import FIXTURES, needs_fixtures  # noqa: E402

TORTURE = Path(__file__).resolve().parents[1] / "torture" / "content"


def typed(value: Any) -> Any:
    """A value with its types spelled out, so that 1 == 1.0 == True cannot hide a difference."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    if isinstance(value, float) and value != value:
        return ("float", "nan")
    return (type(value).__name__, value.isoformat() if isinstance(value, (date, datetime)) else value,
            str(getattr(value, "tzinfo", "")))


def pyyaml(text: str) -> tuple[bool, Any]:
    try:
        return True, yaml.load(text, Loader=SafeLoader)
    except Exception:  # noqa: BLE001 - any refusal counts
        return False, None


def check_agrees(text: str) -> bool:
    """Asserts the rule; returns whether the fast reader took the text."""
    fast = parse_block_mapping(text)
    ok, slow = pyyaml(text)
    if fast is None:
        return False
    assert ok, f"PyYAML refuses this text but the fast reader read it: {text!r}"
    assert typed(fast) == typed(slow), text
    return True


def front_matter(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
    if not text.startswith("---\n") or "\n---" not in text[3:]:
        return text
    return text[4 : text.index("\n---", 3) + 1]


@needs_fixtures
def test_real_crawler_files_are_read_fast_and_the_same():
    files = sorted((FIXTURES / "real-ai" / "_news").glob("*.md")) + sorted((FIXTURES / "articles").glob("*.md"))
    taken = sum(check_agrees(front_matter(path)) for path in files)
    assert taken == len(files)  # every real file takes the fast path


def test_torture_files_agree_or_step_aside():
    files = sorted(TORTURE.rglob("*.md"))
    assert len(files) > 50
    for path in files:
        check_agrees(front_matter(path))


@pytest.mark.parametrize("text", [
    'title: "a \\"quoted\\" word \\u00e9 \\x41 \\/ \\\\"\n',
    "title: 'it''s'\n",
    "quality: 10\nheat: -3\nratio: 0.5\nbig: 1e3\nhex: 0x1F\noct: 0o17\nnone: ~\nnull2: null\nyes: true\nno: NO\n",
    "when: 2026-01-02T03:04:05Z\nday: 2026-01-02\nzone: 2026-01-02 03:04:05 +02:00\nbad: 2026-02-30T00:00:00Z\n",
    "topics:\n- AI\n- Robots\nnext: 1\n",
    "images:\n  - url: https://x.example/a.jpg\n    width: 10\n\n    height: 20\n  - url: b\nafter: x\n",
    "provider:\n  name: Outlet\n  images:\n    - url: /a.png\n# a comment\n  domain: outlet.example\n",
    "title: -5 degrees\nother: ?maybe\nthird: :colon\n",
    "empty:\nafter: 1\n",
])
def test_common_shapes_take_the_fast_path(text):
    assert check_agrees(text)


@pytest.mark.parametrize("text", [
    "title: [flow, list]\n",
    "title: {a: 1}\n",
    "title: |\n  block\n",
    "title: plain\n  continued\n",
    "title: a # comment\n",
    "title: &anchor x\nother: *anchor\n",
    "title: !!binary aGk=\n",
    'title: "unclosed\n',
    'title: "bad \\q escape"\n',
    "title: a: b\n",
    "title:\tx\n",
    "  indented: 1\n",
    "? complex\n: key\n",
    "<<: {a: 1}\n",
    "- a\n- b\n",
    "true: 1\n",
    "title: x\n title2: y\n",
    "title: x\nquality: 1\ntitle: y\n",  # a repeat: PyYAML reads it, and the reader warns of it
    "provider:\n  name: a\n  name: b\n",
    "title: 'unclosed\n",
    "title: \u2028x\n",
])
def test_anything_unusual_goes_to_pyyaml(text):
    assert parse_block_mapping(text) is None


SCALARS = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(["true", "False", "null", "~", "0", "-0", "007", "0x1f", "0o7", "1.5", ".5", "1e5", ".inf", ".NaN",
                     "2026-01-01", "2026-1-1T1:02:03Z", "2026-02-30", "a: b", "a #b", "#x", "- x", "-x", "?x", ":x",
                     "'q'", '"q"', "it's", 'say "hi"', "back\\slash", "tab\there", "x:", "[x]", "{x}", "&a", "*a",
                     "!t", "|", ">", "%x", "@x", "`x", ",x", "  padded  ", "", "é", "\u00a0nbsp", "\ufeffbom"]),
)


def render_scalar(value: str, style: int) -> str:
    if style == 0:
        return value
    if style == 1:
        return "'" + value.replace("'", "''") + "'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


KEYS = st.sampled_from(["title", "url", "name", "a-b", "_id", "x1", "true", "null", "2026", "k.y", "key with space"])


@st.composite
def documents(draw: st.DrawFn, depth: int = 0, indent: int = 0, in_item: bool = False) -> list[str]:
    """Lines of a block mapping in the crawler's style, with odd scalars, keys and spacing mixed in."""
    lines = []
    pad = " " * indent
    for _ in range(draw(st.integers(1, 4))):
        key = draw(KEYS)
        kind = draw(st.integers(0, 3 if depth < 2 else 0))
        if kind == 0:
            lines.append(f"{pad}{key}: {render_scalar(draw(SCALARS), draw(st.integers(0, 2)))}")
        elif kind == 1:
            lines.append(f"{pad}{key}:")
            lines += draw(documents(depth + 1, indent + draw(st.sampled_from([2, 4]))))
        else:
            lines.append(f"{pad}{key}:")
            step = draw(st.sampled_from([0, 2]))
            for _ in range(draw(st.integers(1, 3))):
                if kind == 2:
                    lines.append(f"{pad}{' ' * step}- {render_scalar(draw(SCALARS), draw(st.integers(0, 2)))}")
                else:
                    item = draw(documents(depth + 1, indent + step + 2))
                    lines.append(f"{pad}{' ' * step}- {item[0].lstrip(' ')}")
                    lines += item[1:]
        if draw(st.booleans()) and draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", "   ", "# note", f"{pad}  # deeper note"])))
    return lines


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.data())
def test_generated_documents_agree(lines, data):
    text = "\n".join(lines) + "\n"
    check_agrees(text)
    # One stray character anywhere must never make the two disagree either.
    at = data.draw(st.integers(0, len(text)))
    stray = data.draw(st.sampled_from([" ", "-", ":", "#", "'", '"', "\\", "\t", "\n", "[", "&", "x", "\u2028"]))
    check_agrees(text[:at] + stray + text[at:])


def test_load_yaml_mapping_uses_it_and_keeps_errors():
    assert load_yaml_mapping('title: "x"\nquality: 3\n') == {"title": "x", "quality": 3}
    with pytest.raises(Exception, match="invalid YAML"):
        load_yaml_mapping("title: [unclosed\n")
