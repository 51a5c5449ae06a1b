"""Benchmark: full builds, and the edit -> HTML-on-disk latency of the live preview.

    make bench                      # 1,000 and 10,000 articles, 5 edits each; Hugo; stories and search at 10k and 100k
    python bench/bench.py --sizes 1000 --runs 7

Builds go to a tmpfs folder (/dev/shm) to measure the generator rather than
this machine's disk; one on-disk full build is reported separately. Figures
are medians of several runs: these machines are shared and noisy.
"""
from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # the other benchmarks
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the corpus maker
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))  # the serve process driver

import bench_cache  # noqa: E402
import bench_hugo  # noqa: E402
import bench_search  # noqa: E402
import bench_stories  # noqa: E402
from generator.build.builder import Builder, BuildOptions, Changes  # noqa: E402
from make_corpus import write_corpus  # noqa: E402
from measure import build_command, timed_command  # noqa: E402
from serving import ServeProcess, wait_until  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def full_builds(content: Path, output: Path, runs: int, config: Path | None = None) -> tuple[float, int, float]:
    """Median clean-build time, its peak memory, and the median no-change rebuild time."""
    args = build_command(content, output, config)
    clean, memory, again = [], [], []
    for _ in range(runs):
        shutil.rmtree(output, ignore_errors=True)
        seconds, mib = timed_command(args, REPO)
        clean.append(seconds)
        memory.append(mib)
        again.append(timed_command(args, REPO)[0])
    return statistics.median(clean), max(memory), statistics.median(again)


def edit_title(path: Path, marker: str) -> str:
    """A headline fix: the title gains a word of its own, so it joins or leaves no story. Returns the new title."""
    text = path.read_text(encoding="utf-8")
    title = re.search(r'^title: "(.*)"$', text, flags=re.M).group(1) + f" {marker}"  # type: ignore[union-attr]
    path.write_text(re.sub(r'^title: .*$', f'title: "{title}"', text, count=1, flags=re.M), encoding="utf-8")
    return title


def new_article(content: Path, run: int) -> tuple[Path, str, str]:
    """A new article newer than every other, with words no other article has (so it is a story of its own,
    led by itself on the home page): where to save it, its text and its headline."""
    donor = max(content.glob("*.md"), key=lambda p: p.name).read_text(encoding="utf-8")
    names = ["Kestrelwick", "Quindlemoor", "Tarrowgate", "Ostrandby", "Varnholm", "Skerrydale", "Lumbrook"]
    verbs = [
        "opens a harbour",
        "sells a lantern",
        "buys a quarry",
        "plants a meadow",
        "prunes an orchard",
        "lights a beacon",
    ]
    # Every word is the run's own (its digits as syllables inside each word: grouping splits "Name7" into
    # "name" and a number, and a compound into the words it knows), so no two runs make one story.
    tag = "".join(("bo", "ka", "ri", "mu", "te", "lo", "ne", "vi", "su", "da")[int(d)] for d in str(run))

    def own(word: str) -> str:
        return word[:3] + tag + word[3:]

    name, (verb, article, thing) = own(names[run % len(names)]), verbs[run % len(verbs)].split()
    title = f"{name} {own(verb)} {article} {own(thing)}"
    text = re.sub(r"^title: .*$", f'title: "{title}"', donor, count=1, flags=re.M)
    text = re.sub(
        r"^excerpt: .*$", f'excerpt: "{name} {own("surprises")} {own("everyone")}."', text, count=1, flags=re.M
    )
    text = re.sub(r"^webUrl: .*$", f'webUrl: "https://fresh.example/{run}"', text, count=1, flags=re.M)
    text = re.sub(
        r"^publishedDateTime: .*$", f"publishedDateTime: 2099-01-01T{run % 24:02d}:00:00Z", text, count=1, flags=re.M
    )
    text = re.sub(r"^related:\n(?:  .*\n)*", "", text, count=1, flags=re.M)
    return content / f"2099-01-01-fresh-{run}.md", text, title


def serve_latency(site: Path, content: Path, runs: int) -> dict[str, float]:
    """Through the real serve process: save one article's title, time until its page on disk shows it; save a
    new article, time until the home page on disk shows it."""
    server = ServeProcess(site, "--content", str(content), "--output", str(site / "public"), "--quiet", "--no-reload")
    try:
        articles = sorted(content.glob("*.md"))
        latencies, rewritten, added = [], [], []
        for run in range(runs):
            source = articles[len(articles) // 2 + run * 7]
            page = site / "public/news" / source.stem / "index.html"
            builds = server.builds()
            started = time.perf_counter()
            title = edit_title(source, f"v{time.time_ns()}")
            wait_until(lambda: title.encode() in page.read_bytes(), timeout=60, interval=0.001, what="edited page")
            latencies.append(time.perf_counter() - started)
            wait_until(lambda: server.builds() > builds, what="build summary")
            line = [l for l in server.lines if l.startswith("Built ")][-1]
            rewritten.append(int(re.search(r"(\d+) written", line).group(1)))
            time.sleep(0.3)
            path, text, headline = new_article(content, run)
            home = site / "public/index.html"
            builds = server.builds()
            started = time.perf_counter()
            path.write_text(text, encoding="utf-8")
            wait_until(
                lambda: headline.encode() in home.read_bytes(), timeout=60, interval=0.001, what="new article on home"
            )
            added.append(time.perf_counter() - started)
            wait_until(lambda: server.builds() > builds, what="build summary")
            time.sleep(0.3)
        for added_file in content.glob("2099-01-01-fresh-*.md"):
            added_file.unlink()
        return {
            "latency_ms": statistics.median(latencies) * 1000,
            "rewritten": statistics.median(rewritten),
            "new_ms": statistics.median(added) * 1000,
        }
    finally:
        server.stop()


def builder_timings(content: Path, output: Path, runs: int) -> dict[str, float]:
    """In-process: a title edit and a no-change rebuild, without the watcher's debounce."""
    builder = Builder(BuildOptions(content_dir=content, output_dir=output, include_unpublished=True, quiet=True))
    builder.build()
    articles = sorted(content.glob("*.md"))
    edits, unchanged = [], []
    for run in range(runs):
        source = articles[len(articles) // 3 + run * 11]
        edit_title(source, f"v{time.time_ns()}")
        started = time.perf_counter()
        builder.build(Changes(content=frozenset([source.name])))
        edits.append(time.perf_counter() - started)
        started = time.perf_counter()
        builder.build(None)  # full rescan: stats every file, re-reads none
        unchanged.append(time.perf_counter() - started)
    return {"edit_ms": statistics.median(edits) * 1000, "rescan_ms": statistics.median(unchanged) * 1000}


def syndication_cost(content: Path, output: Path) -> dict[str, float]:
    """Render time and file count of feeds, sitemaps and the JSON API next to the HTML pages.

    Renders every planned page once more in memory (no writes), grouped by kind;
    it reaches into the builder's plan, which is fine for a benchmark.
    """
    from generator.pages.syndication import KINDS
    from generator.render.environment import render_page

    machine_kinds = {kind.name for kind in KINDS}

    builder = Builder(BuildOptions(content_dir=content, output_dir=output, quiet=True))
    builder.build()
    env = builder._environment()
    seconds = {"html": 0.0, "syndication": 0.0}
    files = {"html": 0, "syndication": 0}
    for page in builder.state.pages:
        group = "syndication" if page.kind in machine_kinds else "html"
        started = time.perf_counter()
        render_page(env, page, builder._context(page))
        seconds[group] += time.perf_counter() - started
        files[group] += 1
    return {
        "html_s": seconds["html"],
        "syn_s": seconds["syndication"],
        "html_files": files["html"],
        "syn_files": files["syndication"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--tmpfs", type=Path, default=Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="news-bench-", dir=args.tmpfs))
    (REPO / ".bench").mkdir(exist_ok=True)
    disk = Path(tempfile.mkdtemp(prefix="news-bench-", dir=REPO / ".bench"))
    print(f"tmpfs work folder: {work}; on-disk folder: {disk}\n")
    try:
        seconds, mib, again = full_builds(REPO / "content", work / "example-out", 3, REPO / "site.yaml")
        print(
            f"example content ({len(list((REPO / 'content').glob('*.md')))} files): clean build {seconds:.2f} s, "
            f"peak {mib} MiB, no-change CLI rebuild {again:.2f} s (median of 3, tmpfs)"
        )
        for size in args.sizes:
            site = work / f"site-{size}"
            content = site / "content"
            write_corpus(size, content)
            (site / "site.yaml").write_text("title: Bench\nbase_url: http://127.0.0.1:8000/\n")
            seconds, mib, again = full_builds(content, work / f"out-{size}", 3)
            disk_seconds, _ = timed_command(build_command(content, disk / f"out-{size}"), REPO)
            files = sum(1 for p in (work / f"out-{size}").rglob("*") if p.is_file())
            print(f"\n{size} articles -> {files} files")
            print(
                f"  clean build: {seconds:.2f} s tmpfs (median of 3), {disk_seconds:.2f} s on disk (1 run); "
                f"peak {mib} MiB"
            )
            print(f"  no-change CLI rebuild (new process, from the build cache, writes nothing): {again:.2f} s")
            cost = syndication_cost(content, work / f"cost-{size}")
            print(
                f"  feeds, sitemaps, robots and JSON API: {cost['syn_files']} files, {cost['syn_s']:.2f} s to render "
                f"vs {cost['html_files']} HTML pages in {cost['html_s']:.2f} s "
                f"({100 * cost['syn_s'] / (cost['syn_s'] + cost['html_s']):.0f}% of render time)"
            )
            inproc = builder_timings(content, work / f"inproc-{size}", args.runs)
            print(
                f"  in-process title edit: {inproc['edit_ms']:.1f} ms; "
                f"no-change rescan: {inproc['rescan_ms']:.1f} ms (medians of {args.runs})"
            )
            live = serve_latency(site, content, args.runs)
            print(
                f"  serve: save title -> changed HTML on disk: {live['latency_ms']:.0f} ms median of {args.runs} "
                f"(includes the 25 ms save debounce); files rewritten: {live['rewritten']:.0f}; "
                f"new article -> on the home page: {live['new_ms']:.0f} ms"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(disk, ignore_errors=True)
    print("\nstory grouping (in memory, one core):")
    bench_stories.main([10000, 100000])
    print("\nclean builds against Hugo's (../shared/bench/vs-hugo, alternating runs, medians):")
    bench_hugo.main([(1000, 5), (10000, 3), (50000, 1)])
    print("\nbuilds in a new process with the build cache:")
    bench_cache.main(10000, 3, search=False)
    bench_cache.main(10000, 3, search=True)
    print("\nsearch index (Pagefind):")
    bench_search.main([1000, 10000, 100000])


if __name__ == "__main__":
    main()
