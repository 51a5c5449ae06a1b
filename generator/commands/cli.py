"""The command line: ``newsdigest build|serve|digest|fetch|update|init`` (also ``python -m generator``)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from generator import __version__
from generator.build.builder import Builder, BuildOptions, BuildResult, build
from generator.core import interrupts
from generator.core.atomic import write_atomically
from generator.core.budget import BadLimit, memory_budget
from generator.core.config import ConfigError, load_config, normalise_base_url
from generator.core.interrupts import Interrupted
from generator.core.memory import bulk_allocation
from generator.core.urls import is_loopback
from generator.publish.output import OutputBusy, OutputRefused
from generator.render.environment import RenderError

DEFAULT_CONFIG = Path("site.yaml")
DEFAULT_FEEDS = (Path("feeds.yaml"), Path("feeds.opml"))


def _add_site_arguments(parser: argparse.ArgumentParser, output: str, output_help: str) -> None:
    parser.add_argument(
        "--content", type=Path, default=Path("content"), help="folder of article files (default: content)"
    )
    parser.add_argument("--output", type=Path, default=Path(output), help=output_help)
    parser.add_argument("--config", type=Path, help="site settings (default: site.yaml if present)")
    parser.add_argument("--unpublished", action="store_true", help="include articles marked 'published: false'")
    parser.add_argument("--strict", action="store_true", help="fail, writing nothing, if any file has an error")
    parser.add_argument("--quiet", action="store_true", help="print only problems and the summary")


def _clock(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a moment such as 2026-12-06T07:00:00+01:00") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a time zone offset, such as +01:00 or Z")
    return moment


def _add_clock(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--clock", type=_clock, metavar="MOMENT", help="run as if it were this moment (ISO 8601 with an offset)"
    )


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsdigest", description="Build a news-digest website from crawler article files."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{build,serve,digest,fetch,update,init}")
    build_cmd = commands.add_parser("build", help="build the site into the output folder")
    _add_site_arguments(build_cmd, "public", "folder to publish into (default: public)")
    build_cmd.add_argument("--base-url", help="the site's absolute URL, overriding site.yaml's base_url")
    _add_clock(build_cmd)
    build_cmd.add_argument(
        "--force",
        action="store_true",
        help="publish into a non-empty folder this generator did not create (its files are kept)",
    )
    build_cmd.add_argument(
        "--allow-empty", action="store_true", help="publish a site with no articles over an earlier build"
    )
    build_cmd.add_argument(
        "--no-cache",
        action="store_true",
        help="start from nothing, not from the last build's state in .cache/ beside the output "
        "(the new state is still saved)",
    )
    serve_cmd = commands.add_parser("serve", help="preview: build into its own folder, serve it and rebuild on changes")
    _add_site_arguments(
        serve_cmd, ".preview", "the preview's own folder, never the published output (default: .preview)"
    )
    serve_cmd.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; 0.0.0.0 to preview from a phone on this network)",
    )
    serve_cmd.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="another name the preview answers to, besides this machine's own (repeatable)",
    )
    serve_cmd.add_argument("--port", type=int, default=8000, help="0 picks any free port")
    serve_cmd.add_argument("--no-reload", action="store_true", help="do not make open pages reload after a rebuild")
    serve_cmd.add_argument(
        "--verbose",
        action="store_true",
        help="print every warning after each rebuild (by default one already shown is not repeated)",
    )
    digest_cmd = commands.add_parser(
        "digest", help="write one day's e-mail edition as an RFC 5322 message, or send it by SMTP"
    )
    digest_cmd.add_argument(
        "--content", type=Path, default=Path("content"), help="folder of article files (default: content)"
    )
    digest_cmd.add_argument("--config", type=Path, help="site settings (default: site.yaml if present)")
    digest_cmd.add_argument("--unpublished", action="store_true", help="include articles marked 'published: false'")
    digest_cmd.add_argument("--date", help="the day, YYYY-MM-DD in the site's time zone (default: the latest day)")
    digest_cmd.add_argument("--eml", type=Path, help="write the message to this file (default: standard output)")
    digest_cmd.add_argument(
        "--send",
        action="store_true",
        help="send the edition by SMTP (digest.smtp in site.yaml) to the recipients it has not reached",
    )
    digest_cmd.add_argument("--resend", action="store_true", help="with --send: send it again to every recipient")
    _add_clock(digest_cmd)
    fetch_cmd = commands.add_parser("fetch", help="write the new entries of RSS, Atom and JSON feeds as article files")
    fetch_cmd.add_argument(
        "--feeds", type=Path, help="the feeds to read, YAML or OPML (default: feeds.yaml, else feeds.opml)"
    )
    fetch_cmd.add_argument(
        "--content", type=Path, default=Path("content"), help="folder to write article files into (default: content)"
    )
    fetch_cmd.add_argument("--quiet", action="store_true", help="print only problems and the summary")
    update_cmd = commands.add_parser(
        "update", help="for a scheduler: fetch (if there is a feeds file), build, and send each closed day's edition"
    )
    _add_site_arguments(update_cmd, "public", "folder to publish into (default: public)")
    update_cmd.add_argument(
        "--feeds", type=Path, help="the feeds to read (default: feeds.yaml, else feeds.opml; none: no fetch)"
    )
    _add_clock(update_cmd)
    init_cmd = commands.add_parser("init", help="create a new site with sample content")
    init_cmd.add_argument("folder", type=Path, help="where to create the site (must not exist or be empty)")
    return parser


def options_from(args: argparse.Namespace) -> BuildOptions:
    base_url = getattr(args, "base_url", None)
    try:
        base_url = normalise_base_url(base_url) if base_url else None
    except ValueError as exc:
        raise ConfigError(f"--base-url: {exc}") from None
    config = args.config if args.config is not None else (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)
    return BuildOptions(
        content_dir=args.content,
        output_dir=getattr(args, "output", Path("public")),
        config_path=config,
        include_unpublished=args.unpublished,
        strict=getattr(args, "strict", False),
        quiet=getattr(args, "quiet", True),
        base_url=base_url,
        force=getattr(args, "force", False),
        allow_empty=getattr(args, "allow_empty", False),
        cache=not getattr(args, "no_cache", False),
        now=getattr(args, "clock", None),
    )


def report(result: BuildResult, options: BuildOptions) -> None:
    for problem in result.problems:
        if not options.quiet or problem.severity != "note":
            print(problem.shown_from(str(options.content_dir)), file=sys.stderr)
    print(result.summary(), file=sys.stderr if result.failed else sys.stdout)


def _warn_if_local(options: BuildOptions) -> None:
    base_url = options.base_url or load_config(options.config_path).base_url
    if is_loopback(urlsplit(base_url).hostname or ""):
        print(
            f"warning: publishing with base_url {base_url}: feeds, sitemaps and canonical links will point at "
            "this machine; set base_url in site.yaml or pass --base-url",
            file=sys.stderr,
        )


def _digest(args: argparse.Namespace, options: BuildOptions) -> int:
    from generator.deliver.message import EditionError, email_message
    from generator.deliver.send import send_edition
    from generator.deliver.smtp import SendError

    try:
        day = date.fromisoformat(args.date) if args.date else None
    except ValueError:
        print(f"error: --date {args.date!r} is not a date such as 2026-11-22", file=sys.stderr)
        return 2
    now = options.now or datetime.now(timezone.utc)
    builder = Builder(options)
    try:
        if args.send or args.resend:
            sent = send_edition(builder, options, day, now, os.environ, resend=args.resend)
            *problems, summary = sent.lines()
            for line in problems:
                print(line, file=sys.stderr)
            print(summary)
            return 1 if sent.failed else 0
        data = bytes(email_message(builder, day, now))
    except EditionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SendError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 75 if exc.temporary else 1
    if args.eml is None:
        sys.stdout.buffer.write(data)
        return 0
    write_atomically(args.eml, data)  # a reader never sees half a message
    return 0


def _update(args: argparse.Namespace, options: BuildOptions) -> int:
    from generator.deliver.update import update

    feeds = args.feeds or next((p for p in DEFAULT_FEEDS if p.exists()), None)
    result = update(options, feeds, os.environ)
    for line in result.lines:
        print(line, file=sys.stderr)
    if result.built is not None and not args.quiet:
        for problem in result.built.problems:
            if problem.severity == "warning":
                print(problem.shown_from(str(options.content_dir)), file=sys.stderr)
    print(result.summary(), file=sys.stderr if result.status else sys.stdout)
    return result.status


def _fetch(args: argparse.Namespace) -> int:
    from generator.fetch import fetch

    feeds = args.feeds or next((p for p in DEFAULT_FEEDS if p.exists()), DEFAULT_FEEDS[0])
    if not _is_content_folder(args.content):
        return 2
    result = fetch(feeds, args.content)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    for feed in result.reports:
        for note in feed.notes:
            print(f"warning: {feed.url}: {note}", file=sys.stderr)
        if feed.outcome == "failed":
            print(f"error: {feed.url}: {feed.reason}", file=sys.stderr)
        elif not args.quiet:
            said = {
                "new": f"{len(feed.written)} new",
                "unchanged": "not modified",
                "waiting": f"skipped: {feed.reason}",
            }
            print(f"{feed.url}: {said[feed.outcome]}")
    print(result.summary(args.content), file=sys.stderr if result.failed else sys.stdout)
    return 1 if result.failed else 0


def _is_content_folder(content: Path) -> bool:
    """Whether ``content`` can be the content folder; if not, one line says why."""
    if content.is_dir():
        return True
    problem = (
        "is a file, not the content folder (--content takes the folder that holds the articles)"
        if content.exists()
        else "content folder does not exist"
    )
    print(f"error: {content}: {problem}", file=sys.stderr)
    return False


def _site_command(args: argparse.Namespace) -> int:
    options = options_from(args)
    if options.config_path is not None and not options.config_path.is_file():
        raise ConfigError(f"{options.config_path}: no such settings file")
    memory_budget()  # a NEWSDIGEST_MEMORY_LIMIT that is no size is refused before anything starts
    if not _is_content_folder(args.content):
        return 2
    if args.command == "serve":
        from generator.serve.server import serve

        return serve(
            options,
            host=args.host,
            port=args.port,
            live_reload=not args.no_reload,
            allowed=tuple(args.allowed_host),
            verbose=args.verbose,
        )
    if args.command == "digest":
        return _digest(args, options)
    if args.command == "update":
        return _update(args, options)
    _warn_if_local(options)
    with bulk_allocation():
        result = build(options)
    report(result, options)
    return 1 if result.failed else 0


def _one_line_failures(
    command: Callable[[], int], refused: tuple[type[Exception], ...], afterwards: str, command_is_a_build: bool = False
) -> int:
    """Run ``command``; whatever stops it prints one line saying what is left (``afterwards``), never a traceback.
    SIGINT and SIGTERM stop it too (exit status 130 and 143)."""
    interrupts.install()
    try:
        return command()
    except refused as exc:  # before anything was touched
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RenderError as exc:
        print(f"error: {exc}\nBuild failed, output left untouched.", file=sys.stderr)
        return 1
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}; {afterwards}", file=sys.stderr)
        return 1
    except Interrupted as interrupt:
        print(interrupt if command_is_a_build else f"Interrupted; {afterwards}.", file=sys.stderr)
        return interrupt.exit_status
    except KeyboardInterrupt:
        print(f"Interrupted; {afterwards}.", file=sys.stderr)
        return 130


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    if args.command == "init":
        from generator.scaffold import init_site

        return init_site(args.folder)
    if args.command == "fetch":
        from generator.fetch.feedlist import FeedListError
        from generator.fetch.store import FetchBusy

        return _one_line_failures(
            lambda: _fetch(args), (FeedListError, FetchBusy), "files already written are kept and found again next run"
        )
    return _one_line_failures(
        lambda: _site_command(args),
        (ConfigError, OutputRefused, OutputBusy, BadLimit),
        "the previous output is left as it was",
        command_is_a_build=args.command in ("build", "update"),
    )
