"""The fast path (fast_jinja.py) renders exactly what stock Jinja renders, and steps aside when it cannot."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest

from generator.render import fast_jinja
from helpers import FIXTURES, needs_fixtures, snapshot

REPO = Path(__file__).resolve().parents[2]
FIXTURE = FIXTURES / "real-ai"


def both(templates: dict[str, str]) -> tuple[jinja2.Environment, jinja2.Environment]:
    def make(kind: type[jinja2.Environment]) -> jinja2.Environment:
        return kind(loader=jinja2.DictLoader(templates), autoescape=jinja2.select_autoescape(["html"]),
                    undefined=jinja2.StrictUndefined)
    return make(fast_jinja._Environment), make(fast_jinja._StockEnvironment)


def test_a_macro_of_a_text_template_called_in_an_html_one_is_escaped_as_stock_jinja_escapes_it():
    fast, stock = both({"m.txt": "{% macro line(x) %}<{{ x }}>{% endmacro %}",
                        "page.html": "{% from 'm.txt' import line %}{{ line('a&b') }}|{{ line(v) }}"})
    for value in ("<b>", "plain"):
        assert fast.get_template("page.html").render(v=value) == stock.get_template("page.html").render(v=value)


def test_a_context_callable_passed_to_render_gets_its_context():
    @jinja2.pass_context
    def who(context: jinja2.runtime.Context, greeting: str) -> str:
        return f"{greeting}, {context['name']}"

    fast, stock = both({"page.html": "{{ who('Hello') }} {{ helpers.who('Hi') }}"})
    values = {"who": who, "name": "Ada", "helpers": {"who": who}}
    assert fast.get_template("page.html").render(values) == stock.get_template("page.html").render(values) == \
        "Hello, Ada Hi, Ada"


def test_stock_jinja_is_used_when_asked_or_when_a_hook_is_missing(monkeypatch):
    assert fast_jinja.environment_class() is fast_jinja._Environment
    monkeypatch.setenv(fast_jinja.STOCK_SWITCH, "1")
    assert fast_jinja.environment_class() is fast_jinja._StockEnvironment and fast_jinja.mode() == "stock"
    monkeypatch.delenv(fast_jinja.STOCK_SWITCH)
    monkeypatch.delattr(jinja2.compiler.CodeGenerator, "_output_child_pre")
    assert fast_jinja.environment_class() is fast_jinja._StockEnvironment


@pytest.mark.parametrize("site", ["example", pytest.param("real-ai", marks=needs_fixtures)])
def test_every_file_of_a_site_is_the_same_built_with_stock_jinja_and_the_fast_path(tmp_path, site):
    content = REPO / "content" if site == "example" else FIXTURE
    config = tmp_path / "site.yaml"
    config.write_text((REPO / "site.yaml").read_text() + "\nsearch: false\n")  # Pagefind's filter files vary by run
    outputs = {}
    for mode in ("fast", "stock"):
        environment = {k: v for k, v in os.environ.items() if k != fast_jinja.STOCK_SWITCH}
        if mode == "stock":
            environment[fast_jinja.STOCK_SWITCH] = "1"
        output = tmp_path / f"out-{mode}"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "generator",
                "build",
                "--content",
                str(content),
                "--output",
                str(output),
                "--config",
                str(config),
                "--quiet",
                "--no-cache",
            ],
            cwd=REPO,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        outputs[mode] = snapshot(output)
        shutil.rmtree(tmp_path / ".cache", ignore_errors=True)
    assert outputs["fast"].keys() == outputs["stock"].keys() and len(outputs["fast"]) > 100
    differing = [path for path in outputs["fast"] if outputs["fast"][path] != outputs["stock"][path]]
    assert differing == []
