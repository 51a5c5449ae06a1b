"""Benchmark of builds in new processes with the build cache: nothing changed, one edited headline, one new article.

    python bench/bench_cache.py 10000 [RUNS] [--search]    (make bench runs it at 10,000 without and with search)

The corpus is the Hugo comparison's (../shared/bench/gen_corpus.py, seed 1),
built with --unpublished as ../shared/bench/vs-hugo does, into tmpfs. Each
figure is the median of RUNS and is given as a ratio of the median clean
build (no cache) measured in the same run, with the files each build wrote.
"""
from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GEN = REPO.parent / "shared" / "bench" / "gen_corpus.py"


def build(site: Path, *extra: str) -> tuple[float, int]:
    """Wall seconds and files written of one CLI build in a new process."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "generator", "build", "--quiet", "--unpublished", "--content",
                           str(site / "content"), "--output", str(site / "public"), "--config", str(site / "site.yaml"),
                           *extra], cwd=REPO, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    written = re.search(r"(\d+) written", done.stdout + done.stderr)
    return seconds, int(written.group(1)) if written else -1


def edit_title(path: Path, word: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r'^title: "(.*)"$', lambda m: f'title: "{m.group(1)} {word}"', text, count=1, flags=re.M),
                    encoding="utf-8")


def main(size: int, runs: int, search: bool) -> None:
    if not GEN.is_file():
        raise SystemExit(f"needs {GEN} (the project's shared benchmark folder)")
    work = Path(tempfile.mkdtemp(prefix="news-bench-cache-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    try:
        site = work / "site"
        subprocess.run([sys.executable, str(GEN), "--n", str(size), "--seed", "1", "--out", str(site / "content")],
                       check=True, capture_output=True)
        (site / "site.yaml").write_text(
            f"title: Bench\nbase_url: https://bench.example/\nsearch: {str(search).lower()}\n"
        )
        articles = sorted((site / "content").glob("*.md"))
        clean, unchanged, edited, added = [], [], [], []
        for run in range(runs):
            shutil.rmtree(site / "public", ignore_errors=True)
            shutil.rmtree(site / ".cache", ignore_errors=True)
            clean.append(build(site, "--no-cache"))
            unchanged.append(build(site))
            edit_title(articles[len(articles) // 2 + run], f"Zq{run}x")
            edited.append(build(site))
            text = articles[run].read_text(encoding="utf-8").replace('title: "', f'title: "Fresh Vorlune{run} ', 1)
            text = re.sub(
                r"^publishedDateTime: .*$", f"publishedDateTime: 2023-12-31T23:0{run}:00Z", text, count=1, flags=re.M
            )
            (site / "content" / f"2023-12-31-fresh-report-{run}.md").write_text(text, encoding="utf-8")
            added.append(build(site))
        base = statistics.median(s for s, _ in clean)
        print(
            f"\n{size} articles, search {'on' if search else 'off'}: "
            f"clean build {base:.2f} s (median of {runs}, no cache)"
        )
        for label, figures in [
            ("no change, new process", unchanged),
            ("one edited headline", edited),
            ("one new article", added),
        ]:
            seconds = statistics.median(s for s, _ in figures)
            print(
                f"  {label}: {seconds:.2f} s = {seconds / base:.2f}x clean; "
                f"files written {sorted(w for _, w in figures)}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(
        int(arguments[0]) if arguments else 10000,
        int(arguments[1]) if len(arguments) > 1 else 3,
        "--search" in sys.argv,
    )
