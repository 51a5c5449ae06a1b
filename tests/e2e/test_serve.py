"""End to end: the real serve process on 127.0.0.1, real file edits, checked over HTTP."""
from __future__ import annotations

import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import time

import pytest

from generator.build.builder import Builder, BuildOptions
from helpers import article_fields, snapshot, write_article, write_config
from serving import ServeProcess, wait_until


def touch_later(path):
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "site"
    write_config(root, page_size=5)
    for n in range(12):
        write_article(root / "content", f"2026-11-{n + 1:02d}-story-{n}.md",
                      article_fields(n, topics=["AI", ["Robotics", "Vision", "Chips"][n % 3]]))
    (tmp_path / "secret.txt").write_text("TOP-SECRET-OUTSIDE")
    return root


@pytest.fixture
def server(site):
    process = ServeProcess(site)
    yield process
    assert process.stop() == 0
    assert "Stopped." in process.lines


def test_serves_pages_with_types_and_404(server):
    status, headers, body = server.request("/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert b"EventSource" in body and b"Story number 11" in body
    status, headers, _ = server.request("/css/site.css")
    assert status == 200 and headers["content-type"].startswith("text/css")
    status, headers, body = server.request("/news/no-such-story/")
    assert status == 404 and b"Page not found" in body
    status, headers, _ = server.request("/news/2026-11-01-story-0")
    assert status == 301 and headers["location"] == "/news/2026-11-01-story-0/"
    assert server.request("/", method="HEAD")[0] == 200
    # The reload script is added only to served responses, never to files on disk.
    assert b"EventSource" not in (server.output / "index.html").read_bytes()


@pytest.mark.parametrize("path", [
    "/../secret.txt", "/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/%2e%2e/secret.txt", "/..%2fsecret.txt",
    "/%2e%2e%2f%2e%2e%2fsecret.txt", "//etc/passwd", "/etc/passwd", "/news/../../secret.txt", "/..\\secret.txt",
    "/%00", "/.git/config", "http://127.0.0.1/../secret.txt", "/%c0%ae%c0%ae/secret.txt",
])
def test_path_traversal_gets_404(server, path):
    status, _headers, body = server.request(path)
    assert status in (404, 400)
    assert b"TOP-SECRET" not in body and b"root:" not in body


def test_edits_creates_deletes_and_renames(server, site):
    content = site / "content"
    path = content / "2026-11-03-story-2.md"
    write_article(content, path.name, article_fields(2, title="Fresh headline"))
    wait_until(lambda: b"Fresh headline" in server.get("news/2026-11-03-story-2/")[1], what="edited title")

    write_article(
        content,
        "2026-11-20-brand-new.md",
        article_fields(30, title="Brand new story", publishedDateTime="2026-11-30T00:00:00Z"),
    )
    wait_until(lambda: server.get("news/2026-11-20-brand-new/")[0] == 200, what="new page")
    wait_until(lambda: b"Brand new story" in server.get("")[1], what="home lists the new story")

    (content / "2026-11-01-story-0.md").unlink()
    wait_until(lambda: server.get("news/2026-11-01-story-0/")[0] == 404, what="deleted page gone")

    os.replace(content / "2026-11-02-story-1.md", content / "2026-11-02-renamed-story.md")
    wait_until(lambda: server.get("news/2026-11-02-renamed-story/")[0] == 200, what="renamed page")
    # The preview moves new files in first, then removes old ones: the old path goes a moment later.
    wait_until(lambda: server.get("news/2026-11-02-story-1/")[0] == 404, what="old path of the renamed page gone")

    # Editor-style save: write a temp file, then rename it over the original.
    temp = content / ".2026-11-04-story-3.md.swp"
    write_article(content, temp.name, article_fields(3, title="Saved via rename"))
    os.replace(temp, content / "2026-11-04-story-3.md")
    wait_until(lambda: b"Saved via rename" in server.get("news/2026-11-04-story-3/")[1], what="atomic save")


def test_random_edits_leave_output_equal_to_a_clean_build(server, site):
    rng = random.Random(5)
    content = site / "content"
    # A topic and an outlet whose only story is unpublished: their feeds list nothing, and
    # their <updated> follows the site's newest story, which the final marker changes.
    write_article(
        content,
        "2026-11-15-quiet.md",
        article_fields(
            15,
            title="Quiet draft",
            topics=["Quantum"],
            published=False,
            provider={"name": "Quiet", "domain": "quiet.example"},
        ),
    )
    wait_until(lambda: server.get("topics/quantum/")[0] == 200, what="the quiet topic")
    empty_feed = server.output / "topics/quantum/feed.xml"
    assert "<entry>" not in empty_feed.read_text()
    for step in range(25):
        names = sorted(p.name for p in content.glob("*.md") if p.name != "2026-11-15-quiet.md")
        name = rng.choice(names)
        action = rng.choice(["title", "topic", "publish", "delete", "create"])
        if action == "delete" and len(names) > 3:
            (content / name).unlink()
        elif action == "create":
            write_article(
                content, f"2026-10-{step + 1:02d}-created-{step}.md", article_fields(step, title=f"Created {step}")
            )
        else:
            fields = article_fields(
                step,
                title=f"Step {step} {action}",
                topics=["AI", rng.choice(["Robotics", "Policy", "Chips"])] if action == "topic" else ["AI"],
                published=rng.choice([True, False]) if action == "publish" else None,
            )
            write_article(content, name, fields)
            touch_later(content / name)
        time.sleep(rng.choice([0, 0.05, 0.4]))
    marker = content / "2026-09-01-final-marker.md"
    write_article(
        content, marker.name, article_fields(99, title="Final marker", publishedDateTime="2026-11-28T09:00:00Z")
    )
    wait_until(lambda: server.get("news/2026-09-01-final-marker/")[0] == 200, what="final build")
    server.wait_until_idle()
    builder = Builder(
        BuildOptions(
            content_dir=content,
            output_dir=site.parent / "clean",
            config_path=site / "site.yaml",
            include_unpublished=True,
            base_url=server.url,
            fingerprint_assets=False,
        ),
        preview=True,
    )
    clean = builder.build()  # a clean build with the preview's settings (its search index is not in the output)
    builder.close()
    assert not clean.failed
    assert snapshot(site / ".preview") == snapshot(site.parent / "clean")
    assert "<updated>2026-11-28T09:00:00Z</updated>" in empty_feed.read_text()


def test_burst_of_files_causes_few_rebuilds(server, site):
    before = server.wait_until_idle()
    incoming = site.parent / "incoming"
    for n in range(300):
        write_article(incoming, f"2026-10-{n % 28 + 1:02d}-burst-{n}.md", article_fields(n, title=f"Burst {n}"))
    for path in sorted(incoming.iterdir()):  # the crawler drops its files at once
        os.replace(path, site / "content" / path.name)
    last = f"2026-10-{299 % 28 + 1:02d}-burst-299"
    wait_until(lambda: server.get(f"news/{last}/")[0] == 200, what="burst built", timeout=60)
    assert 1 <= server.wait_until_idle() - before <= 2


def read_events(server, count, timeout=15):
    """The first ``count`` server-sent events as (event, data)."""
    sock = socket.create_connection((server.host, server.port), timeout=timeout)
    sock.sendall(f"GET /__livereload HTTP/1.1\r\nHost: {server.host}\r\n\r\n".encode())
    buffer, events, deadline = b"", [], time.monotonic() + timeout
    while len(events) < count and time.monotonic() < deadline:
        buffer += sock.recv(65536)
        while b"\n\n" in buffer:
            block, buffer = buffer.split(b"\n\n", 1)
            fields = dict(
                line.split(": ", 1) for line in block.decode().splitlines() if ": " in line and not line.startswith(":")
            )
            if "event" in fields:
                events.append((fields["event"], json.loads(fields["data"])))
    sock.close()
    return events


def test_broken_file_keeps_old_page_and_reports_then_recovers(server, site):
    path = site / "content/2026-11-05-story-4.md"
    _, good = server.get("news/2026-11-05-story-4/")
    path.write_text("---\ntitle: ok\nexcerpt: [unclosed\n---\n")
    wait_until(
        lambda: any("2026-11-05-story-4.md:3: error: invalid YAML" in l for l in server.lines), what="error printed"
    )
    status, body = server.get("news/2026-11-05-story-4/")
    assert status == 200 and b"Story number 4" in body
    [(event, problems)] = read_events(server, 1)
    assert event == "problems" and problems[0].startswith("content/2026-11-05-story-4.md:3: error: invalid YAML")

    write_article(site / "content", path.name, article_fields(4, title="Repaired story"))
    wait_until(lambda: b"Repaired story" in server.get("news/2026-11-05-story-4/")[1], what="recovery")
    # The page is published a moment before the preview announces the build's problems: wait for that too.
    wait_until(lambda: read_events(server, 1) == [("problems", [])], what="the problems cleared")


def test_template_error_keeps_serving_last_good_site(server, site):
    (site / "templates").mkdir()
    (site / "templates/topic.html").write_text(
        "{% extends 'base.html' %}{% block content %}{{ missing.value }}{% endblock %}"
    )
    wait_until(lambda: any("topic.html:1: template error" in l for l in server.lines), what="template error")
    status, body = server.get("topics/ai/")
    assert status == 200 and b"Story number" in body
    (site / "templates/topic.html").write_text(
        "{% extends 'base.html' %}{% block content %}<p class='mine'>Custom topic</p>{% endblock %}"
    )
    wait_until(lambda: b"Custom topic" in server.get("topics/ai/")[1], what="fixed template")


def test_content_types_of_feeds_api_and_images(server):
    for path, expected in [
        ("/feed.xml", "application/xml"),
        ("/feed.json", "application/json"),
        ("/api/news/index.json", "application/json"),
        ("/favicon.svg", "image/svg+xml"),
        ("/robots.txt", "text/plain"),
    ]:
        status, headers, _ = server.request(path)
        assert status == 200 and headers["content-type"].startswith(expected), path


def test_concurrent_requests_while_event_streams_are_open(server):
    import concurrent.futures

    streams = [socket.create_connection((server.host, server.port), timeout=10) for _ in range(4)]
    for stream in streams:
        stream.sendall(f"GET /__livereload HTTP/1.1\r\nHost: {server.host}\r\n\r\n".encode())
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(
                pool.map(lambda n: server.request(f"/news/2026-11-{n % 12 + 1:02d}-story-{n % 12}/")[0], range(64))
            )
        assert statuses == [200] * 64
    finally:
        for stream in streams:
            stream.close()


def test_no_reload_flag_and_sigint(site):
    process = ServeProcess(site, "--no-reload")
    try:
        status, _headers, body = process.request("/")
        assert status == 200 and b"EventSource" not in body
        assert process.request("/__livereload")[0] == 404
    finally:
        process.process.send_signal(signal.SIGINT)
        assert process.process.wait(timeout=15) == 0
    assert "Stopped." in process.lines


def test_symlink_out_of_the_output_is_refused(server, site):
    (site / ".preview/leak.txt").symlink_to(site.parent / "secret.txt")
    (site / ".preview/leak-dir").symlink_to(site.parent, target_is_directory=True)
    for path in ["/leak.txt", "/leak-dir/secret.txt"]:
        status, _headers, body = server.request(path)
        assert status == 404 and b"TOP-SECRET" not in body


def raw_get(server, path, host):
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_only_requests_addressed_to_this_machine_are_answered(server):
    """A DNS-rebinding page sends its own domain as Host; it must not read the preview (drafts included)."""
    for host in (f"rebind.example:{server.port}", "rebind.example", f"192.0.2.1:{server.port}"):
        status, body = raw_get(server, server.base_path, host)
        assert status == 421 and b"Story number" not in body, host
        status, body = raw_get(server, "/__livereload", host)
        assert status == 421 and b"event:" not in body
    for host in (f"127.0.0.1:{server.port}", f"localhost:{server.port}", f"LOCALHOST:{server.port}"):
        status, body = raw_get(server, server.base_path, host)
        assert status == 200 and b"Story number" in body, host


def test_client_disconnects_are_not_printed_as_tracebacks(server):
    for _ in range(30):
        sock = socket.create_connection((server.host, server.port), timeout=10)
        sock.sendall(f"GET {server.base_path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
        # Close with a reset before reading the response.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    time.sleep(0.5)
    assert server.get("")[0] == 200
    assert not any("Traceback" in line or "Error" in line for line in server.lines), server.lines


def test_preview_never_touches_the_published_output(site):
    """`make serve` previews drafts on a localhost address: none of that may reach what `make build` published."""
    import subprocess
    import sys

    built = subprocess.run(
        [sys.executable, "-m", "generator", "build"], cwd=site, capture_output=True, text=True, timeout=120
    )
    assert built.returncode == 0, built.stderr
    public = site / "public"
    before = {p: p.read_bytes() for p in sorted(public.rglob("*")) if p.is_file()}
    server = ServeProcess(site)
    try:
        write_article(
            site / "content", "2026-11-20-draft.md", article_fields(40, title="Secret draft", published=False)
        )
        wait_until(lambda: server.get("news/2026-11-20-draft/")[0] == 200, what="the draft in the preview")
        write_article(site / "content", "2026-11-01-story-0.md", article_fields(0, title="Edited while previewing"))
        wait_until(lambda: b"Edited while previewing" in server.get("news/2026-11-01-story-0/")[1], what="the edit")
    finally:
        assert server.stop() == 0
    assert {p: p.read_bytes() for p in sorted(public.rglob("*")) if p.is_file()} == before
    assert (site / ".preview/news/2026-11-20-draft/index.html").is_file()


def test_serve_accepts_strict_and_keeps_the_last_good_site(site):
    server = ServeProcess(site, "--strict")
    try:
        (site / "content/2026-11-03-story-2.md").write_text("---\ntitle: [broken\n---\n")
        wait_until(
            lambda: any(
                "Build failed, output left untouched: 1 content errors with --strict" in l for l in server.lines
            ),
            what="the strict failure",
        )
        assert server.get("news/2026-11-03-story-2/")[0] == 200  # the last good site is still served
    finally:
        assert server.stop() == 0


def test_a_second_preview_or_a_build_cannot_take_a_running_preview_folder(server, site):
    """serve holds its folder's lock for as long as it runs; a build is refused by the folder's mark."""
    import subprocess
    import sys

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "generator", *args], cwd=site, capture_output=True, text=True, timeout=60
        )

    second = run("serve", "--port", "0", "--unpublished")
    assert second.returncode == 2 and "another build is running" in second.stderr and "Traceback" not in second.stderr
    build = run("build", "--output", ".preview")
    assert build.returncode == 2 and "preview folder" in build.stderr
    assert server.get("")[0] == 200


@pytest.mark.parametrize("path", ["/" + "a" * 300, "/" + "/".join(["b" * 200] * 30), "/%ff%fe" * 3])
def test_odd_request_paths_get_an_answer_not_a_traceback(server, path):
    status, _headers, _body = server.request(path)
    assert status in (400, 404)
    assert not any("Traceback" in line or "Error" in line for line in server.lines), server.lines


@pytest.mark.parametrize("since", ["%C2%B2", "9" * 50, "-1", "x"])
def test_an_odd_livereload_position_starts_the_stream_from_now(server, since):
    sock = socket.create_connection((server.host, server.port), timeout=10)
    sock.sendall(f"GET /__livereload?since={since} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
    head = b""
    while b"retry:" not in head:
        chunk = sock.recv(1000)
        assert chunk, head
        head += chunk
    sock.close()
    assert head.startswith(b"HTTP/1.0 200") and b"text/event-stream" in head
    time.sleep(0.3)
    assert not any("Traceback" in line or "Error" in line for line in server.lines), server.lines


def test_a_client_too_slow_to_send_its_request_is_cut_off_and_holds_nothing(server):
    slow = []
    for _ in range(20):
        sock = socket.create_connection((server.host, server.port), timeout=30)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0")  # and never the rest (slowloris)
        slow.append(sock)
    assert server.get("")[0] == 200  # others are served meanwhile
    started = time.monotonic()
    for sock in slow:
        try:
            answer = sock.recv(100)  # the server closes it after its timeout: recv returns, no wait for ever
        except ConnectionResetError:
            answer = b""
        assert answer == b"" or answer.startswith(b"HTTP/1.")
        sock.close()
    assert time.monotonic() - started < 20
    assert server.get("")[0] == 200
    assert not any("Traceback" in line for line in server.lines), server.lines


def test_a_preview_on_the_network_answers_this_machines_names_and_links_back_to_them(site):
    """serve --host 0.0.0.0, as for a phone on the same network: its addresses and names are served, with
    links that lead back to the address the browser used; foreign names still get 421."""
    from generator.serve import lan

    process = ServeProcess(site, "--host", "0.0.0.0", "--allowed-host", "preview.lan")
    try:
        assert process.host == "127.0.0.1"  # the first URL printed is this machine's own
        addresses = lan.interface_addresses()
        printed = [line for line in process.lines if line.startswith("  on this network: ")]
        assert [line.split(": ", 1)[1] for line in printed] == [
            f"http://{lan.bracketed(a)}:{process.port}{process.base_path}" for a in addresses
        ]
        names = [f"{lan.bracketed(a)}:{process.port}" for a in addresses] + [
            f"{n}:{process.port}" for n in lan.own_names()
        ]
        for host in [*names, f"preview.lan:{process.port}", "preview.lan"]:
            status, body = raw_get(process, process.base_path, host)
            assert status == 200 and b"Story number" in body, host
            assert f'href="http://{host}{process.base_path}feed.xml"'.encode() in body, host  # the address used
            assert f"http://127.0.0.1:{process.port}".encode() not in body, host
        for host in (f"rebind.example:{process.port}", "evil.example"):
            assert raw_get(process, process.base_path, host)[0] == 421
    finally:
        assert process.stop() == 0


def test_a_busy_port_is_named_in_one_line(site):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "generator", "serve", "--port", str(port)],
            cwd=site,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        f"error: cannot listen on 127.0.0.1 port {port}: Address already in use; another program "
        "uses it (choose another with --port, or 0 for any free one)"
    )


def test_a_warning_already_shown_is_not_repeated_on_each_save(site):
    """The preview prints a warning once; later saves say how many there are, and which are new."""
    for n in range(3):  # three warnings (an unsafe URL each) that no save below touches
        write_article(
            site / "content", f"2026-11-2{n}-warned-{n}.md", article_fields(20 + n, webUrl="javascript:alert(1)")
        )
    process = ServeProcess(site)
    try:
        wait_until(lambda: process.builds() >= 1, what="the first build")
        warned = [line for line in process.lines if "dropped unsafe or malformed URL" in line]
        assert len(warned) == 3
        write_article(
            site / "content",
            "2026-11-03-story-2.md",
            article_fields(2, title="An edit far from the warnings", topics=["AI", "Chips"]),
        )
        wait_until(lambda: process.builds() >= 2, what="the rebuild")
        assert len([line for line in process.lines if "dropped unsafe or malformed URL" in line]) == 3
        assert "3 warnings (unchanged)" in [line for line in process.lines if line.startswith("Built ")][-1]
        write_article(site / "content", "2026-11-24-warned-new.md", article_fields(24, webUrl="javascript:void(0)"))
        wait_until(lambda: process.builds() >= 3, what="the rebuild with a new warning")
        assert len([line for line in process.lines if "dropped unsafe or malformed URL" in line]) == 4
        assert "4 warnings (1 new)" in [line for line in process.lines if line.startswith("Built ")][-1]
    finally:
        assert process.stop() == 0
    verbose = ServeProcess(site, "--verbose")
    try:
        wait_until(lambda: verbose.builds() >= 1, what="the first build")
        write_article(site / "content", "2026-11-03-story-2.md", article_fields(2, title="Edited again", topics=["AI"]))
        wait_until(lambda: verbose.builds() >= 2, what="the rebuild")
        assert len([line for line in verbose.lines if "dropped unsafe or malformed URL" in line]) == 8
    finally:
        assert verbose.stop() == 0
