"""The folder listing is the pipeline: each stage imports only the stages below it, and no module imports
itself back through others."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "generator"
# Lowest first. A stage may import its own modules and any stage before it, never one after it.
LAYERS = ["core", "content", "stories", "index", "pages", "render", "publish", "net", "images", "search", "build",
          "serve", "fetch", "deliver", "scaffold", "commands"]


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports_of(path: Path, name: str) -> set[str]:
    """Every generator module ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("generator"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            if base.startswith("generator"):
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def test_every_module_lives_in_a_stage_and_each_stage_says_its_place():
    loose = sorted(
        name
        for name in modules()
        if name.count(".") == 1 and stage_of(name) is None and name not in ("generator.__main__",)
    )
    assert loose == [], "modules outside the stage folders"
    for stage in LAYERS:
        init = PACKAGE / stage / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc and doc.splitlines()[0].strip(), f"{stage}/__init__.py: a docstring whose first line says its place"


def test_no_import_points_up_the_stages():
    known = modules()
    upward = []
    for name, path in known.items():
        here = stage_of(name)
        if here is None:
            continue
        for target in imports_of(path, name):
            there = stage_of(target)
            if there is not None and LAYERS.index(there) > LAYERS.index(here):
                upward.append(f"{name} -> {target}")
    assert upward == []


def test_no_module_imports_itself_back():
    known = modules()
    graph = {
        name: {t for t in imports_of(path, name) if t in known and t != name and not known[t].name == "__init__.py"}
        for name, path in known.items()
    }
    cycles = []
    for start in graph:
        stack, seen = [(start, [start])], set()
        while stack:
            node, trail = stack.pop()
            for nxt in graph.get(node, ()):
                if nxt == start:
                    cycles.append(" -> ".join([*trail, start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*trail, nxt]))
    assert cycles == []
