"""Ctrl-C and SIGTERM at any moment of a multi-process build: it ends within 2 s, in one line, with the
published site whole (as before, or the new one in full), the lock released and the next build fine."""
from __future__ import annotations

import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers import children_of, site_lock, write_config
from make_corpus import write_corpus

ARTICLES = 1300  # past parallel.MIN_ITEMS: reading and rendering fork workers
INTERRUPTS = 30


def fingerprint(folder: Path) -> str:
    digest = hashlib.blake2b()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != ".newsdigest-output":
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def alive(pid: int) -> bool:
    """Running: a process that ended but is not reaped yet (a zombie: its parent is gone) has ended."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def build(site: Path, *extra: str, new_session: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "generator", "build", "--quiet", *extra], cwd=site,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=new_session)


def test_thirty_interrupts_at_random_moments_of_a_parallel_build(tmp_path):
    site = tmp_path / "site"
    write_config(site, search=False)
    write_corpus(ARTICLES, site / "content", seed=5)
    first = build(site)
    assert first.wait(timeout=300) == 0, first.stderr.read() if first.stderr else ""
    started = time.monotonic()
    assert build(site, "--no-cache").wait(timeout=300) == 0  # what each interrupted build does
    duration = time.monotonic() - started
    published = fingerprint(site / "public")
    rng = random.Random(28)
    victims = sorted((site / "content").glob("*.md"))
    real, after_publishing, endings = 0, 0, []
    for round_ in range(3 * INTERRUPTS):
        if real == INTERRUPTS:
            break
        victim = rng.choice(victims)  # every build has something new to publish
        text = victim.read_text(encoding="utf-8")
        victim.write_text(text.replace('title: "', f'title: "Round {round_} ', 1), encoding="utf-8")
        number = rng.choice([signal.SIGINT, signal.SIGTERM])
        to_group = rng.random() < 0.5  # as a terminal's Ctrl-C does, or to the build alone (kill PID)
        process = build(site, "--no-cache", new_session=True)
        time.sleep(rng.uniform(0.15, duration * 0.9))  # once Python has started (before, a signal just kills it)
        workers = children_of(process.pid)
        sent = time.monotonic()
        try:
            (os.killpg if to_group else os.kill)(process.pid, number)
        except ProcessLookupError:
            pass
        _out, err = process.communicate(timeout=30)
        ended = time.monotonic() - sent
        assert "Traceback" not in err and len(err.strip().splitlines()) <= 1, err
        survivors = [pid for pid in workers if alive(pid)]
        if survivors:  # after the commit, the replaced tree's deletion goes on by design (publish/swap.py): only then
            assert err.startswith("Interrupted: the new site was published in full"), "a worker outlived the build"
            deadline = time.monotonic() + 60
            while any(map(alive, survivors)) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not any(map(alive, survivors)), "the replaced tree's deletion never ended"
        if process.returncode == -number:  # killed before Python started: nothing was read or written
            assert err == "" and fingerprint(site / "public") == published
            continue
        if process.returncode == 0:  # it had finished when the signal came
            published = fingerprint(site / "public")
            continue
        real += 1
        endings.append(ended)
        assert ended < 2.0, f"round {round_}: {ended:.2f} s after the signal"
        assert process.returncode == 128 + number, (process.returncode, err)
        with site_lock(site, wait=0):  # released
            pass
        if "unchanged" in err:
            assert err.strip() == "Interrupted: the published site is unchanged"
            assert fingerprint(site / "public") == published, f"round {round_}: the output changed"
        else:
            assert err.startswith("Interrupted: the new site was published in full"), err
            after_publishing += 1
            check = build(site)  # the site is whole: the next build has nothing to write
            out, check_err = check.communicate(timeout=300)
            assert check.returncode == 0 and ": 0 written," in out + check_err, out + check_err
            published = fingerprint(site / "public")
    assert real == INTERRUPTS, f"only {real} signals came while the build ran"
    print(f"{real} interrupts ({after_publishing} after publishing): ended in {min(endings):.2f}-{max(endings):.2f} s, "
          f"median {sorted(endings)[len(endings) // 2]:.2f} s")
    final = build(site)
    out, err = final.communicate(timeout=300)
    assert final.returncode == 0, err
    assert not list(site.glob(".public.staging-*")), "the next build removes what an interrupted one left"
    # A build that finds nothing to do removes an interrupted build's leftovers too.
    leftover = site / ".public.staging-left"
    leftover.mkdir()
    (leftover / "page.html").write_text("half")
    again = build(site)
    assert again.wait(timeout=300) == 0 and not leftover.exists()


def pagefind_children(pid: int) -> list[int]:
    """Pagefind processes ``pid`` started, from any of its threads (/proc/PID/task/TID/children)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            try:
                if Path(f"/proc/{child}/comm").read_text().strip() == "pagefind":
                    found.append(int(child))
            except OSError:
                continue
    return found


def test_an_interrupt_while_parts_are_indexed_side_by_side_stops_every_pagefind(tmp_path):
    """The search index's parts are indexed by several Pagefind processes at once: an interrupt then stops all
    of them at once (the build does not wait for them), and it ends in one line with the output as it was."""
    site = tmp_path / "site"
    write_config(site)  # search on
    write_corpus(2400, site / "content", seed=6)
    files = sorted((site / "content").glob("*.md"))
    for n, path in enumerate(files):  # over three weeks and a day: parts of the index of similar size
        text = re.sub(r"publishedDateTime: \S+", f"publishedDateTime: 2026-11-{1 + n % 21:02d}T10:00:00Z",
                      path.read_text(encoding="utf-8"))
        path.write_text(text, encoding="utf-8")
    assert build(site).wait(timeout=300) == 0
    assert len(json.loads((site / "public/pagefind/bundles.json").read_text())["bundles"]) >= 3
    published = fingerprint(site / "public")
    for victim in files[:21]:  # one article of each day: every part is indexed again
        edited = victim.read_text(encoding="utf-8").replace('title: "', 'title: "Edited ', 1)
        victim.write_text(edited, encoding="utf-8")
    process = build(site, "--no-cache")
    deadline, seen = time.monotonic() + 120, []
    while time.monotonic() < deadline and len(seen) < 2 and process.poll() is None:
        seen = pagefind_children(process.pid)  # two at once: the parts are indexed side by side
    assert len(seen) >= 2, "never saw two Pagefind processes at once"
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=30)
    ended = time.monotonic() - sent
    assert process.returncode == 130 and ended < 0.3, (process.returncode, ended, err)  # not waiting for Pagefind
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert not any(map(alive, seen))
    assert fingerprint(site / "public") == published
    assert build(site).wait(timeout=300) == 0  # and the next build is fine


def test_a_signal_after_the_command_ended_does_not_kill_it(tmp_path):
    """While Python shuts down, a signal either raises in an exit hook or, once the default handlers are back,
    kills a build that has finished and published (exit -15 with the new site out). Once ``main`` has returned,
    the status is its own."""
    script = ("import os, signal, sys, time\n"
              "import generator.__main__ as entry\n"
              "import generator.commands.cli as cli\n"
              "cli.main = lambda: 0\n"
              "def finalize():\n"
              "    os.kill(os.getpid(), signal.SIGTERM)\n"
              "    time.sleep(0.2)\n"
              "import atexit; atexit.register(finalize)\n"  # runs after run() returned, during shutdown
              "entry.run()\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stderr) == (0, "")
