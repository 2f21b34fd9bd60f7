"""`python -m assistant <command>`: thin subcommands over the library. Help text is the documentation."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from pydantic import ValidationError

from assistant.settings import Settings, describe

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3


def _settings() -> Settings:
    return Settings()


def cmd_config(args: argparse.Namespace, settings: Settings) -> int:
    """Print the effective settings (secrets masked)."""
    print(describe(settings))
    return EXIT_OK


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    """Build or update the index from the corpus folder."""
    from index.ingest import NothingToIndex, ingest

    try:
        summary = ingest(settings, Path(args.corpus) if args.corpus else None, progress=not args.quiet)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except NothingToIndex as exc:
        print(exc.summary.render(), file=sys.stderr)
        print(
            "error: no document in the corpus could be indexed; the previous index is unchanged",
            file=sys.stderr,
        )
        return EXIT_ERROR
    print(summary.render())
    return EXIT_PARTIAL if summary.skipped else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m assistant",
        description="政策问答助手: answers questions about policy documents with cited paragraphs.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("config", help=cmd_config.__doc__, description=cmd_config.__doc__)
    p.set_defaults(func=cmd_config)
    p = sub.add_parser(
        "ingest",
        help=cmd_ingest.__doc__,
        description=cmd_ingest.__doc__
        + " Exit code 0: done; 3: done but some files were skipped; 1: nothing indexed.",
    )
    p.add_argument("--corpus", help="corpus folder (default: settings index.corpus_dir, i.e. corpus/)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_ingest)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    try:
        settings = _settings()
    except ValidationError as exc:
        print(f"error: invalid settings:\n{exc}", file=sys.stderr)
        return EXIT_USAGE
    return args.func(args, settings)


if __name__ == "__main__":
    raise SystemExit(main())
