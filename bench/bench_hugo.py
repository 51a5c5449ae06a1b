"""Clean builds against Hugo's, through the shared comparison script (../shared/bench/vs-hugo).

    python bench/bench_hugo.py [SIZE:RUNS ...]     (make bench runs 1000:5 10000:3 50000:1)

For each size, three site settings, each built alternately with Hugo so that
the ratio is measured under one load:

- "same work": ``search: false, stories: false, digest: false``: the kinds of
  page Hugo's site builds (articles with sidebars, paginated home, topic and
  outlet lists, feeds, sitemap); this generator still writes more (JSON Feed,
  a feed per topic and outlet, the JSON API, the topic and outlet indexes);
- ``search: false``: stories and the daily digest included (Hugo has neither);
- the default build, with the Pagefind index (only at 10,000 articles).

Needs Debian's ``hugo`` (apt-get install hugo); without it, says so and stops.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VS_HUGO = REPO.parent / "shared" / "bench" / "vs-hugo"
SETTINGS = {
    "same work (search, stories, digest off)": "search: false\nstories: false\ndigest: false\n",
    "search off (stories and digest on)": "search: false\n",
    "default (search on)": "",
}


def main(plan: list[tuple[int, int]]) -> None:
    if not VS_HUGO.is_file():
        raise SystemExit(f"needs {VS_HUGO} (the project's shared benchmark folder)")
    if not shutil.which("hugo"):
        print("hugo is not installed (apt-get install hugo): no comparison")
        return
    with tempfile.TemporaryDirectory() as folder:
        for size, runs in plan:
            for label, settings in SETTINGS.items():
                if settings == "" and size != 10000:
                    continue  # Pagefind's index is compared at one size: it alone takes about Hugo's whole build
                config = Path(folder) / "site.yaml"
                config.write_text(settings or "search: true\n")
                # With search, against what a Hugo user runs for the same result: hugo, then pagefind.
                against = ["--with-search"] if settings == "" else []
                done = subprocess.run([sys.executable, str(VS_HUGO), str(size), str(runs), "--config", str(config),
                                       *against], cwd=REPO, capture_output=True, text=True)
                result = (done.stdout.strip().splitlines() or [done.stderr.strip()])[-1]
                print(f"  {label}: {result}", flush=True)


if __name__ == "__main__":
    arguments = sys.argv[1:] or ["1000:5", "10000:3", "50000:1"]
    main([(int(size), int(runs)) for size, runs in (argument.split(":") for argument in arguments)])
