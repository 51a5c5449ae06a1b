"""Benchmark of the search index: Pagefind's time, peak memory and size per site, and what a search downloads.

    python bench/bench_search.py 1000 10000 100000    (make bench runs it)

For each size: clean CLI builds with and without search (medians, alternating,
so the ratio is measured under the same load); then each planned part is
indexed again by the same Pagefind binary on the same pages, timed alone with
its peak memory; then the 10k site (or the largest below it) is served by a
real HTTP server and headless Chromium runs a one-word search, summing what
the server sent for /pagefind/ (and what a host that gzips would have sent).
"""
from __future__ import annotations

import functools
import gzip
import http.server
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # the other benchmarks
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the corpus maker
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))  # the serve process driver

from generator.build.builder import Builder, BuildOptions  # noqa: E402
from generator.search.pagefind import pagefind_binary, scratch_folder, search_parts  # noqa: E402
from make_corpus import write_corpus  # noqa: E402
from measure import build_command, timed_command, timed_tree  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
WORD = "benchmark"  # a headline word of the synthetic corpus: a search with many results


def clean_builds(site: Path, runs: int) -> dict[str, float]:
    """Median clean builds with search off and on, alternating; and the highest peak memory of the whole process
    tree (forked workers and Pagefind included) of those with search."""
    seconds: dict[bool, list[float]] = {False: [], True: []}
    peaks: list[int] = []
    for _ in range(runs):
        for search in (False, True):
            (site / "site.yaml").write_text(
                f"title: Bench\nbase_url: http://127.0.0.1:8000/\nsearch: {str(search).lower()}\n"
            )
            shutil.rmtree(site / "public", ignore_errors=True)
            seconds_taken, peak = timed_tree(build_command(site / "content", site / "public", site / "site.yaml"), REPO)
            seconds[search].append(seconds_taken)
            if search:
                peaks.append(peak)
    return {"off": statistics.median(seconds[False]), "on": statistics.median(seconds[True]), "peak": max(peaks)}


BUDGETED_FROM = 50_000  # sizes at which a build within the memory budget is measured too
LIMIT = "2G"


def budgeted_build(site: Path) -> tuple[float, int]:
    """One clean build with search on within a memory budget of ``LIMIT``: wall seconds and whole-tree peak MiB."""
    (site / "site.yaml").write_text("title: Bench\nbase_url: http://127.0.0.1:8000/\nsearch: true\n")
    shutil.rmtree(site / "public", ignore_errors=True)
    command = build_command(site / "content", site / "public", site / "site.yaml")
    return timed_tree(command, REPO, env={"NEWSDIGEST_MEMORY_LIMIT": LIMIT})


def pagefind_alone(site: Path) -> tuple[list[tuple[str, int, float, int]], int]:
    """Each part's (key, pages, seconds, peak MiB) indexed alone, and the published index's size in bytes."""
    binary = pagefind_binary()
    assert binary is not None, "pagefind[bin] is not installed"
    builder = Builder(
        BuildOptions(
            content_dir=site / "content", output_dir=site / "public", config_path=site / "site.yaml", quiet=True
        )
    )
    builder.plan_only()
    assert builder.state.index is not None and builder.state.config is not None
    parts = search_parts(builder.state.pages, builder.state.index, builder.state.config)
    figures = []
    for part in parts:
        with tempfile.TemporaryDirectory(dir=scratch_folder()) as folder:
            for path in part.pages:
                target = Path(folder) / "site" / path
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(site / "public" / path, target)
            seconds, mib = timed_command(
                [str(binary), "--site", f"{folder}/site", "--output-path", f"{folder}/out", "--silent"], REPO
            )
        figures.append((part.key or "(whole site)", len(part.pages), seconds, mib))
    size = sum(p.stat().st_size for p in (site / "public/pagefind").rglob("*") if p.is_file())
    return figures, size


class CountingHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files and records each response's path and body size: what the browser really downloaded."""

    served: list[tuple[str, int]]

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def copyfile(self, source, outputfile) -> None:  # type: ignore[no-untyped-def]
        body = source.read()
        self.served.append((self.path.split("?")[0], len(body)))
        outputfile.write(body)


def search_download(public: Path, word: str) -> dict[str, int]:
    """What headless Chromium fetches to show the first results of a one-word search: /pagefind/ and the
    site's search script."""
    from browser import Browser

    served: list[tuple[str, int]] = []
    handler = functools.partial(type("Handler", (CountingHandler,), {"served": served}), directory=str(public))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    browser = Browser()
    try:
        page = browser.new_page()
        page.navigate(f"http://127.0.0.1:{server.server_address[1]}/search/?q={word}")
        page.wait_for("document.querySelectorAll('.search-result').length >= 5", timeout=60)
        time.sleep(1.0)  # the shown results' fragments settle
        fetched = [(path, size) for path, size in served if path.startswith(("/pagefind/", "/js/search."))]
        gzipped = sum(
            size
            if path.endswith((".pf_index", ".pf_filter", ".pf_fragment", ".pagefind"))  # gzip already
            else len(gzip.compress((public / path.lstrip("/")).read_bytes()))
            for path, size in fetched
        )
        ui = sum(size for path, size in fetched if path.startswith("/js/search."))  # the site's search script
        total = sum(size for _path, size in fetched)
        return {"requests": len(fetched), "total": total, "ui": ui, "search": total - ui, "gzipped": gzipped}
    finally:
        browser.close()
        server.shutdown()


def main(sizes: list[int], runs: int = 3) -> None:
    work = Path(tempfile.mkdtemp(prefix="news-bench-search-", dir=scratch_folder()))
    try:
        browsed = max((s for s in sizes if s <= 10000), default=None)
        for size in sizes:
            site = work / f"site-{size}"
            write_corpus(size, site / "content")
            builds = clean_builds(site, runs if size <= 10000 else 1)
            figures, size_bytes = pagefind_alone(site)
            print(
                f"\n{size} articles: clean build {builds['off']:.2f} s without search, {builds['on']:.2f} s with it "
                f"(+{100 * (builds['on'] / builds['off'] - 1):.0f}%; "
                f"medians of {runs if size <= 10000 else 1}, alternating); with search, the whole process tree "
                f"peaks at {builds['peak']} MiB (PSS)"
            )
            if size >= BUDGETED_FROM:
                seconds, peak = budgeted_build(site)
                print(
                    f"  with search and {LIMIT} as NEWSDIGEST_MEMORY_LIMIT: {seconds:.2f} s, the whole process tree "
                    f"peaks at {peak} MiB (PSS; target 2 GB at 100,000)"
                )
            for key, pages, seconds, mib in figures:
                print(f"  Pagefind {key}: {pages} pages in {seconds:.2f} s, peak {mib} MiB")
            print(
                f"  index size: {size_bytes / 2**20:.1f} MiB in "
                f"{sum(1 for p in (site / 'public/pagefind').rglob('*') if p.is_file())} files"
            )
            if size == browsed:
                got = search_download(site / "public", WORD)
                print(
                    f"  one-word search ('{WORD}') in Chromium: {got['requests']} requests, "
                    f"{got['total'] / 1000:.0f} KB as served uncompressed ({got['search'] / 1000:.0f} KB index, "
                    f"Pagefind script and WebAssembly + {got['ui'] / 1000:.0f} KB "
                    f"the site's search script); {got['gzipped'] / 1000:.0f} KB from a host that gzips"
                )
            shutil.rmtree(site)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [1000, 10000])
