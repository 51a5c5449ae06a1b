"""A faster way to run Jinja's templates, kept apart: the rest of the generator works with stock Jinja.

It subclasses Jinja's code generator, whose methods are not a public API
(``_output_child_pre``, ``visit_Getattr``, ``visit_Call``, ``macro_def``) and
reads MarkupSafe's ``_escape_inner``, so it is used only where every hook it
needs is there (:func:`fast_path_usable`), on the Jinja versions pyproject.toml
allows (tested ones); anything else, or ``NEWSDIGEST_STOCK_JINJA=1`` in the
environment, renders with stock Jinja. Both give the same bytes: the test
suite builds the example site and the real fixture both ways and compares
every file. Compiled templates are cached per Jinja and MarkupSafe version
and per path (build/cache.py).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, MutableMapping
from functools import partial
from typing import Any

import jinja2
import jinja2.compiler
import jinja2.nodes
import jinja2.runtime
import jinja2.utils
import markupsafe
from markupsafe import Markup

STOCK_SWITCH = "NEWSDIGEST_STOCK_JINJA"

# MarkupSafe's own escaping of a plain str, without wrapping the result in a Markup object (the public
# escape, as a str, should a MarkupSafe ever lack it).
_escape_str: Callable[[str], str] = getattr(markupsafe, "_escape_inner", None) or (
    lambda text: str(markupsafe.escape(text))
)

_NO_ATTRIBUTE = object()  # what getattr returns in a compiled template when the object has no such attribute
_new_str = str.__new__  # Markup(text) for a plain str, without MarkupSafe's Python-level __new__


class _Macro(jinja2.runtime.Macro):
    """A template's macro, called the way these templates call them (arguments by position and by name; no
    ``caller``, ``varargs`` or ``kwargs`` in the body) with the names matched through a table made once,
    not Jinja's general matching on each call (most of a call's cost). Any other call goes Jinja's way."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        simple = not (self.catch_kwargs or self.catch_varargs or self.caller or self.explicit_caller)
        self._positions = {name: n for n, name in enumerate(self.arguments)} if simple else None
        self._unset = (jinja2.utils.missing,) * len(self.arguments)

    @jinja2.pass_eval_context  # as Jinja's Macro: Context.call then passes the caller's EvalContext first
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        positions, count = self._positions, len(args)
        if positions is None or count > len(self._unset) or (count and type(args[0]) is jinja2.nodes.EvalContext):
            return super().__call__(*args, **kwargs)
        values = [*args, *self._unset[count:]]
        for name, value in kwargs.items():
            at = positions.get(name, -1)
            if at < count:  # no such argument, or one already given by position: Jinja's error
                return super().__call__(*args, **kwargs)
            values[at] = value
        text = self._func(*values)
        return _new_str(Markup, text) if self._default_autoescape else text


def _escaped_output(value: Any) -> str:
    """What ``{{ value }}`` writes in an autoescaped template: MarkupSafe's escape, as a plain str.

    The pieces a template writes are only joined into its text (which a macro then wraps in one Markup), so
    making each a Markup object, as Jinja's ``escape`` does, costs time on every piece for nothing.
    """
    if type(value) is str:
        return _escape_str(value)
    html = getattr(value, "__html__", None)
    if html is not None:
        return html()  # type: ignore[no-any-return]
    return _escape_str(str(value))


def _direct(context: jinja2.runtime.Context, callee: Any) -> Any:
    """``callee`` itself when calling it directly gives what Jinja's ``Context.call`` gives; else that call.

    Context.call differs for a callable marked ``pass_context`` (or its kin), and for a macro of a template
    that escapes differently from the caller's (Jinja then marks the macro's text safe or not by the
    caller's setting)."""
    if type(callee) is _Macro:
        return callee if callee._default_autoescape == context.eval_ctx.autoescape else partial(context.call, callee)
    if getattr(callee, "jinja_pass_arg", None) is None:
        return callee
    return partial(context.call, callee)


class _CodeGenerator(jinja2.compiler.CodeGenerator):
    """Calls in templates go straight to the function, and output is escaped without a Markup per piece.

    Jinja routes every call through ``Context.call``, which looks on each
    callee for the markers of ``pass_context`` and its kin. No function a
    template here can reach carries one (our globals, checked in
    :func:`make_environment`; macros, blocks, ``caller`` and Jinja's own
    ``range``, ``dict``, ``cycler``, ``joiner``, ``namespace``, ``lipsum``), and
    the routing is a large share of a page's rendering.
    """

    def visit_Template(self, node: jinja2.nodes.Template, frame: Any = None) -> None:
        self.writeline(f"from {__name__} import _direct, _escaped_output, _Macro, _NO_ATTRIBUTE as _ga_none")
        super().visit_Template(node, frame)

    def macro_def(self, macro_ref: Any, frame: Any) -> None:
        self.write("_")  # Jinja's macro_def writes "Macro(...)": this makes it "_Macro(...)", the same arguments
        super().macro_def(macro_ref, frame)

    @jinja2.compiler.optimizeconst
    def visit_Getattr(self, node: jinja2.nodes.Getattr, frame: Any) -> None:
        """``a.b`` as one C call, ``getattr(a, "b", default)``, and Jinja's ``environment.getattr`` (a Python
        call on every attribute a template reads) only when there is no such attribute:
        it then tries ``a["b"]`` and makes the undefined value. The object is evaluated once (``_ga_o``)."""
        if self.environment.is_async:
            super().visit_Getattr(node, frame)
            return
        self.write("(_ga_v if (_ga_v := getattr((_ga_o := ")
        self.visit(node.node, frame)
        self.write(f"), {node.attr!r}, _ga_none)) is not _ga_none else environment.getattr(_ga_o, {node.attr!r}))")

    def _output_child_pre(self, node: jinja2.nodes.Expr, frame: Any, finalize: Any) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_pre(node, frame, finalize)
            return
        self.write("_escaped_output(")
        if finalize.src is not None:
            self.write(finalize.src)

    def visit_Call(self, node: jinja2.nodes.Call, frame: Any, forward_caller: bool = False) -> None:
        # (callee)(arguments): Jinja's signature() writes each argument after ", ", as for context.call(callee, ...).
        # The environment's own globals (checked in check_globals) are called straight; anything else might want
        # its context (pass_context), or be a macro of a template that escapes otherwise: _direct looks first.
        known = isinstance(node.node, jinja2.nodes.Name) and node.node.name in self.environment.globals
        self.write("(" if known else "_direct(context, ")
        self.visit(node.node, frame)
        self.write(")(")
        stream, self.stream = self.stream, io.StringIO()
        try:
            self.signature(node, frame, {"caller": "caller"} if forward_caller else None)
            arguments = self.stream.getvalue()
        finally:
            self.stream = stream
        self.write(arguments.removeprefix(", ") + ")")


class _Environment(jinja2.Environment):
    """Jinja's environment with each template's globals as a plain dict.

    Jinja chains a template's globals over the environment's (a ChainMap), so
    that globals added later still show; ours are all set before the first
    template loads. Every render copies its template's globals and every
    ``{% from ... import %}`` compares them with the importer's, and on a
    ChainMap both run in Python, on every page.
    """

    code_generator_class = _CodeGenerator

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


_HOOKS = {
    jinja2.compiler.CodeGenerator: (
        "_output_child_pre",
        "visit_Getattr",
        "visit_Call",
        "macro_def",
        "signature",
        "visit_Template",
        "write",
        "writeline",
        "visit",
    ),
    jinja2.runtime.Macro: (
        "_func",
        "_default_autoescape",
        "arguments",
        "catch_kwargs",
        "catch_varargs",
        "caller",
        "explicit_caller",
    ),
}


def fast_path_usable() -> bool:
    """Whether every private hook the fast path uses is there (and stock Jinja was not asked for)."""
    if os.environ.get(STOCK_SWITCH, "").strip() not in ("", "0"):
        return False
    if not hasattr(jinja2.compiler, "optimizeconst") or not hasattr(jinja2.utils, "missing"):
        return False
    probe = jinja2.runtime.Macro(jinja2.Environment(), lambda: "", "probe", [], False, False, False, False)
    return all(hasattr(jinja2.compiler.CodeGenerator, name) for name in _HOOKS[jinja2.compiler.CodeGenerator]) and all(
        hasattr(probe, name) for name in _HOOKS[jinja2.runtime.Macro]
    )


class _StockEnvironment(jinja2.Environment):
    """Stock Jinja, with each template's globals as a plain dict (a public hook: see _Environment)."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


def environment_class() -> type[jinja2.Environment]:
    return _Environment if fast_path_usable() else _StockEnvironment


def mode() -> str:
    """ "fast" or "stock", for the compiled templates' cache key (the two compile differently)."""
    return "fast" if fast_path_usable() else "stock"


def check_globals(env: jinja2.Environment) -> None:
    """The fast path calls functions directly, not through Jinja's Context.call: no global may need a context."""
    takes_context = [
        name for name, value in env.globals.items() if hasattr(value, "jinja_pass_arg")
    ]  # pass_context & co
    if takes_context and isinstance(env, _Environment):
        raise RuntimeError(f"globals {takes_context} need Jinja's Context.call, which _CodeGenerator leaves out")
