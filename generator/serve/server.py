"""``serve``: build, serve the output on 127.0.0.1, rebuild on changes, reload open pages.

The HTTP server only ever reads files inside the output folder: request paths
are decoded, rejected if they contain "..", dot-files or NUL, and the resolved
file must still lie inside the folder.
"""

from __future__ import annotations

import errno
import gc
import json
import mimetypes
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

from generator.build.builder import BUILTIN_STATIC, Builder, BuildOptions, BuildResult, Changes
from generator.core.config import ConfigError, load_config
from generator.core.memory import bulk_allocation
from generator.publish.output import OutputBusy, OutputRefused
from generator.render.environment import BUILTIN_TEMPLATES, RenderError
from generator.search.pagefind import BUNDLE, search_parts
from generator.search.preview import PreviewSearch
from generator.serve import lan
from generator.serve.livereload import ENDPOINT, BuildEvents, format_event, inject
from generator.serve.watch import WatchedPaths, Watcher

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
}


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


REWRITTEN = frozenset({".html", ".xml", ".json", ".txt", ".opml", ".js", ".css"})  # files that may hold absolute links
MAX_PATH_BYTES = 4_000  # a request path longer than any path a file system allows is simply not found


def resolve_request(root: Path, base_path: str, raw_path: str) -> Path | None:
    """The file inside ``root`` that a request path names, or None (never anything outside)."""
    path = unquote(urlsplit(raw_path).path, errors="strict") if "%" in raw_path else urlsplit(raw_path).path
    if not path.startswith(base_path) and path + "/" != base_path:
        return None
    parts = path[len(base_path) :].split("/")
    if any(p in (".", "..") or p.startswith(".") or "\x00" in p or "\\" in p for p in parts if p):
        return None
    if len(path.encode("utf-8", "replace")) > MAX_PATH_BYTES or any(
        len(p.encode("utf-8", "replace")) > 255 for p in parts
    ):
        return None  # longer than any file name or path the system has: no such file
    target = root.joinpath(*[p for p in parts if p])
    try:
        if target.is_dir():
            target = target / "index.html"
        resolved = target.resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None
    root_resolved = root.resolve()
    if resolved != root_resolved and root_resolved not in resolved.parents:
        return None
    return resolved if resolved.is_file() else None


class PreviewHandler(BaseHTTPRequestHandler):
    server_version = "NewsDigestPreview"
    timeout = 10  # seconds a connection may take to send its request (and each read or write): no slowloris

    @property
    def preview(self) -> PreviewServer:
        return cast(PreviewServer, self.server)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # the terminal is for build output

    def _host_allowed(self) -> bool:
        """Answer only requests addressed to this server, so a DNS-rebinding page cannot read the preview."""
        if (self.headers.get("Host") or "").lower() in self.preview.allowed_hosts:
            return True
        body = b"Unknown Host header"
        self.send_response(HTTPStatus.MISDIRECTED_REQUEST)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return False

    def do_HEAD(self) -> None:
        if self._host_allowed():
            self._respond(head=True)

    def do_GET(self) -> None:
        if not self._host_allowed():
            return
        if self.preview.events is not None and urlsplit(self.path).path == ENDPOINT:
            self._stream_events()
        else:
            self._respond(head=False)

    def _respond(self, head: bool) -> None:
        root = self.preview.root
        if self.preview.search is not None and urlsplit(self.path).path.startswith(self.preview.base_path + BUNDLE):
            root = self.preview.search.current or root  # the index lives beside the output, swapped as a whole
        try:
            target = resolve_request(root, self.preview.base_path, self.path)
        except (UnicodeDecodeError, ValueError):
            target = None
        raw = urlsplit(self.path).path
        if (
            target is not None
            and target.name == "index.html"
            and not raw.endswith("/")
            and not raw.endswith("index.html")
        ):
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", raw + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status = HTTPStatus.OK
        if target is None:
            status, target = HTTPStatus.NOT_FOUND, self.preview.root / "404.html"
        try:
            body = target.read_bytes()
        except OSError:
            body, target = b"Not found", Path("404.txt")
        if self.preview.events is not None and target.suffix == ".html":
            body = inject(body, since=self.preview.events.current()[0])
        body = self._as_browsed(body, target)
        self.send_response(status)
        self.send_header("Content-Type", content_type(target))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _as_browsed(self, body: bytes, target: Path) -> bytes:
        """Absolute links made for the preview's own origin, rewritten to the one this browser used (a phone
        on the network asks for 192.168.1.20:8000, the pages were built for 127.0.0.1:8000)."""
        host = (self.headers.get("Host") or "").lower()
        origin = self.preview.origin
        if not host or origin == f"http://{host}" or target.suffix not in REWRITTEN:
            return body
        return body.replace(origin.encode(), f"http://{host}".encode())

    def _stream_events(self) -> None:
        assert self.preview.events is not None
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        sequence, problems = self.preview.events.current()
        since = parse_qs(urlsplit(self.path).query).get("since", [""])[0]
        if since.isascii() and since.isdigit() and len(since) < 20:  # "²" is a digit to isdigit(), not to int()
            sequence = min(sequence, int(since))
        try:
            self.wfile.write(b"retry: 1000\n\n" + format_event("problems", json.dumps(problems)))
            self.wfile.flush()
            while not self.preview.events.closed:
                fresh = self.preview.events.wait(sequence, timeout=15)
                if not fresh:
                    self.wfile.write(b": keep-alive\n\n")
                for sequence, event, data in fresh:  # noqa: B007 - the last one is where the next wait starts
                    self.wfile.write(format_event(event, data))
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return


class StopServing(Exception):
    """Raised between requests once a signal asked the preview to stop."""


class PreviewServer(ThreadingHTTPServer):
    """Serves ``root`` under ``base_path``; ``events`` (None without live reload) feeds open pages."""

    daemon_threads = True
    stopping = False  # set by SIGINT/SIGTERM; serve_forever ends at its next turn (within poll_interval)

    def service_actions(self) -> None:
        if self.stopping:
            raise StopServing

    def __init__(
        self,
        address: tuple[str, int],
        root: Path,
        base_path: str,
        events: BuildEvents | None,
        allowed: tuple[str, ...] = (),
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, PreviewHandler)
        self.root = root
        self.base_path = base_path
        self.events = events
        self.search: PreviewSearch | None = None  # serves /pagefind/ while the site has search
        self.allowed_hosts = lan.allowed_hosts(address[0], self.server_address[1], allowed)
        # The pages are built for this origin; a browser that came by another allowed name gets its own.
        host = address[0] if address[0] not in lan.WILDCARDS else "127.0.0.1"
        self.origin = f"http://{lan.bracketed(host)}:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A reader closing the tab mid-response is normal, not a traceback."""
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)):
            return  # a reader gone, or one too slow to send its request (the handler's timeout)
        super().handle_error(request, client_address)


def make_server(
    root: Path, base_path: str, host: str, port: int, events: BuildEvents | None, allowed: tuple[str, ...] = ()
) -> PreviewServer:
    return PreviewServer((host, port), root, base_path, events, allowed)


def serve(
    options: BuildOptions,
    host: str = "127.0.0.1",
    port: int = 8000,
    live_reload: bool = True,
    allowed: tuple[str, ...] = (),
    verbose: bool = False,
) -> int:
    try:
        config = load_config(options.config_path)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        server = make_server(
            options.output_dir, config.base_path, host, port, BuildEvents() if live_reload else None, allowed
        )
    except OSError as exc:
        print(
            f"error: cannot listen on {host} port {port}: {exc.strerror or exc}"
            + (
                "; another program uses it (choose another with --port, or 0 for any free one)"
                if exc.errno == errno.EADDRINUSE
                else ""
            ),
            file=sys.stderr,
        )
        return 2
    actual_port = server.server_address[1]
    url = f"{server.origin}{config.base_path}"
    options = replace(options, base_url=url, fingerprint_assets=False)
    builder = Builder(options, preview=True)
    events = server.events
    try:
        builder.claim_output()  # held until serve stops: no build can swap the tree under it
    except (OutputRefused, OutputBusy) as exc:
        server.server_close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    server.search = PreviewSearch(options.output_dir)  # idle while site.yaml says search: false
    build_once = partial(_run_build, events=events, options=options, search=server.search, shown=set(), verbose=verbose)
    build_once(builder, None)

    site = options.site_dir
    watcher = Watcher(
        WatchedPaths(
            content=options.content_dir.resolve(),
            templates=tuple({(site / "templates").resolve(), (site / "i18n").resolve(), BUILTIN_TEMPLATES}),
            static=tuple({(site / "static").resolve(), BUILTIN_STATIC}),
            config=options.config_path.resolve() if options.config_path else None,
            ignore=(options.output_dir.resolve(),),
        )
    )
    stop = threading.Event()
    rebuild_loop = threading.Thread(target=_rebuild_forever, args=(builder, watcher, stop, build_once), daemon=True)
    watcher.start()
    rebuild_loop.start()
    print(f"Serving on {url}", flush=True)
    for other in lan.reachable_urls(host, actual_port, config.base_path):
        print(f"  on this network: {other}", flush=True)

    def _stop(signum: int, frame: Any) -> None:
        server.stopping = True  # only a flag: an exception here could land inside a lock's bookkeeping

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except (KeyboardInterrupt, StopServing):
        pass
    finally:
        stop.set()
        if events is not None:
            events.close()
        watcher.stop()
        server.server_close()
        if server.search is not None:
            server.search.close()
        builder.close()
        print("Stopped.", flush=True)
    return 0


IDLE_COLLECT_AFTER = 30.0  # seconds without a change before the preview looks for cyclic garbage


def _rebuild_forever(
    builder: Builder,
    watcher: Watcher,
    stop: threading.Event,
    build_once: Callable[[Builder, Changes | None], BuildResult | None],
) -> None:
    quiet_since, collected = time.monotonic(), True
    while not stop.is_set():
        changes = watcher.next_changes(timeout=0.5)
        if changes is not None and not stop.is_set():
            build_once(builder, changes)
            quiet_since, collected = time.monotonic(), False
        elif not collected and time.monotonic() - quiet_since > IDLE_COLLECT_AFTER:
            # Builds freeze what they keep (see Builder.build); once edits pause, free the cycles among
            # what they replaced since, so a long session does not grow (a second of work, while idle).
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            collected = True


def _run_build(
    builder: Builder,
    changes: Changes | None,
    events: BuildEvents | None,
    options: BuildOptions,
    search: PreviewSearch | None = None,
    shown: set[str] | None = None,
    verbose: bool = False,
) -> BuildResult | None:
    """Build; on any failure keep serving the last good output and tell open pages why.

    ``shown``: the problems printed by earlier builds of this preview; one is printed again only with
    ``verbose`` (a save must not repeat sixty warnings nobody changed). Errors are always printed."""
    try:
        with bulk_allocation():
            result = builder.build(changes)
    except (RenderError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        if events is not None:
            events.publish("problems", [str(exc)])
        return None
    except Exception as exc:  # noqa: BLE001 - the preview must survive anything a file can do
        print(f"error: build crashed: {exc!r}", file=sys.stderr, flush=True)
        if events is not None:
            events.publish("problems", [f"build crashed: {exc!r}"])
        return None
    content = str(options.content_dir)
    seen = set() if shown is None else shown
    lines = [(problem.severity, problem.shown_from(content)) for problem in result.problems]
    new_warnings = sum(1 for severity, line in lines if severity == "warning" and line not in seen)
    for severity, line in lines:
        if severity == "error" or (not options.quiet and (verbose or line not in seen)):
            print(line, file=sys.stderr)
    seen.clear()
    seen.update(line for _severity, line in lines)  # a problem fixed and back is new again
    print(result.summary(new_warnings if shown is not None else None), flush=True)
    if events is not None:  # open pages learn of the build first; the search index follows
        events.publish("problems", [problem.shown_from(content) for problem in result.errors])
        written, removed = result.report.written, result.report.removed
        if written or removed:
            css_only = not removed and all(path.endswith(".css") for path in written)
            events.publish("css" if css_only else "reload")
    state = builder.state
    if (
        search is not None
        and not result.failed
        and state.index is not None
        and state.config
        and state.config.search.enabled
    ):
        search.update(search_parts(state.pages, state.index, state.config))
    return result
