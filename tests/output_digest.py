"""Prove a refactor changes nothing a reader sees: digest every output file of three reference builds.

    python tests/output_digest.py before.txt      # at the old revision
    python tests/output_digest.py after.txt       # at the new one
    python tests/output_digest.py --compare before.txt after.txt

The builds: the example site (content/ with site.yaml), the crawler's real
150-article site (../shared/fixtures/real-ai, or $NEWSDIGEST_FIXTURES/real-ai)
and a 10,000-article synthetic corpus (tests/make_corpus.py), each with a
fixed "now" and built into tmpfs where there is one.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(os.environ.get("NEWSDIGEST_FIXTURES") or REPO.parent / "shared" / "fixtures")
NOW = "2026-11-22T12:00:00+00:00"
BUILD = f"""
import sys
from datetime import datetime
from pathlib import Path
from generator.build.builder import BuildOptions, build
content, out, config = sys.argv[1], sys.argv[2], sys.argv[3]
result = build(BuildOptions(content_dir=Path(content), output_dir=Path(out),
                            config_path=Path(config) if config else None,
                            include_unpublished=True, now=datetime.fromisoformat("{NOW}")))
sys.exit(1 if result.failed else 0)
"""


def digest_tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".newsdigest")
    }


def digests() -> list[str]:
    scratch = Path(tempfile.mkdtemp(dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    corpus = scratch / "synthetic"
    subprocess.run([sys.executable, str(REPO / "tests/make_corpus.py"), "10000", str(corpus)], check=True)
    builds = [("example", REPO / "content", REPO / "site.yaml"), ("synthetic-10k", corpus, None)]
    if (FIXTURES / "real-ai").is_dir():
        builds.append(("real-ai", FIXTURES / "real-ai", None))
    lines = []
    try:
        for name, content, config in builds:
            out = scratch / f"out-{name}"
            subprocess.run(
                [sys.executable, "-c", BUILD, str(content), str(out), str(config or "")], check=True, cwd=REPO
            )
            lines += [f"{name} {path} {digest}" for path, digest in digest_tree(out).items()]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return lines


def main(argv: list[str]) -> int:
    if argv[:1] == ["--compare"]:
        before, after = (set(Path(p).read_text().splitlines()) for p in argv[1:3])
        for line in sorted(before ^ after)[:40]:
            print(("- " if line in before else "+ ") + line)
        print(f"{len(before)} files before, {len(after)} after, {len(before ^ after)} lines differ")
        return 0 if before == after else 1
    Path(argv[0]).write_text("\n".join(digests()) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
