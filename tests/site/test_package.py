"""The package as people install it: a wheel in a fresh virtual environment, away from this checkout."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_wheel_installs_into_a_fresh_venv_and_builds_a_site(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, source / name)
    for folder in ("generator", "templates", "static"):
        shutil.copytree(REPO / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path / "dist"), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = (tmp_path / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    theme = {
        p.relative_to(REPO).as_posix()
        for folder in ("templates", "static")
        for p in (REPO / folder).rglob("*")
        if p.is_file()
    }
    assert {f"generator/{path}" for path in theme} <= names
    assert (
        "generator/scaffold/site/site.yaml" in names
        and "generator/scaffold/site/content/_data/topics/robotics.yaml" in names
    )

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [venv / "bin/python", "-m", "pip", "install", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    newsdigest = venv / "bin/newsdigest"
    assert subprocess.run([newsdigest, "--version"], capture_output=True, text=True, check=True).stdout.startswith(
        "newsdigest "
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    subprocess.run([newsdigest, "init", "site"], cwd=work, check=True, capture_output=True, timeout=60)
    built = subprocess.run([newsdigest, "build"], cwd=work / "site", capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    fetched = subprocess.run([newsdigest, "fetch"], cwd=work / "site", capture_output=True, text=True, timeout=60)
    assert (
        fetched.returncode == 2 and "feeds.yaml: lists no feeds yet" in fetched.stderr
    )  # its dependencies are installed too
    assert (work / "site/public/css").is_dir() and (work / "site/public/news").is_dir()
    module = subprocess.run(
        [venv / "bin/python", "-m", "generator", "build", "--output", "out2"],
        cwd=work / "site",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert module.returncode == 0, module.stderr
    # The installed copy, not this checkout, served the templates.
    located = subprocess.run(
        [venv / "bin/python", "-c", "import generator.render.environment as r; print(r.BUILTIN_TEMPLATES)"],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert located.startswith(str(venv)) and Path(located, "base.html").is_file()
