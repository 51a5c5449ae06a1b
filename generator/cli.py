"""``python -m generator build|serve``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from .build import BuildOptions, BuildResult, build
from .config import ConfigError
from .render import RenderError


def _add_site_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--content", type=Path, default=Path("content"), help="folder of article files (default: content)")
    parser.add_argument("--output", type=Path, default=Path("public"), help="folder to publish into (default: public)")
    parser.add_argument("--config", type=Path, default=Path("site.yaml"), help="site settings (default: site.yaml)")
    parser.add_argument("--unpublished", action="store_true", help="include articles marked 'published: false'")
    parser.add_argument("--quiet", action="store_true", help="print only problems and the summary")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m generator", description="Build a news-digest website.")
    commands = parser.add_subparsers(dest="command", required=True)
    build_cmd = commands.add_parser("build", help="build the site into the output folder")
    _add_site_arguments(build_cmd)
    build_cmd.add_argument("--strict", action="store_true", help="fail, writing nothing, if any file has an error")
    serve_cmd = commands.add_parser("serve", help="build, serve on 127.0.0.1 and rebuild on changes")
    _add_site_arguments(serve_cmd)
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--port", type=int, default=8000, help="0 picks any free port")
    serve_cmd.add_argument("--no-reload", action="store_true", help="do not make open pages reload after a rebuild")
    return parser


def options_from(args: argparse.Namespace) -> BuildOptions:
    return BuildOptions(
        content_dir=args.content,
        output_dir=args.output,
        config_path=args.config if args.config.exists() else None,
        include_unpublished=args.unpublished,
        strict=getattr(args, "strict", False),
        quiet=args.quiet,
    )


def report(result: BuildResult, quiet: bool) -> None:
    for problem in result.problems:
        if not quiet or problem.severity != "note":
            print(problem, file=sys.stderr)
    print(result.summary(), file=sys.stderr if result.failed else sys.stdout)


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    if not args.content.is_dir():
        print(f"error: content folder {args.content} does not exist", file=sys.stderr)
        return 2
    options = options_from(args)
    if args.command == "serve":
        from .serve import serve

        return serve(options, host=args.host, port=args.port, live_reload=not args.no_reload)
    try:
        result = build(options)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RenderError as exc:
        print(f"error: {exc}\nBuild failed, output left untouched.", file=sys.stderr)
        return 1
    report(result, args.quiet)
    return 1 if result.failed else 0
