"""The `polyseq` command. Each subcommand lives in its own module with `add_parser` and `run`.

User errors (`PolyseqError`) print one clear message and exit with status 2; anything else is a
bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from polyseq import __version__
from polyseq.errors import PolyseqError

SUBCOMMANDS = ("plugins", "tokenize", "predict", "generate", "export", "embed", "datasets", "compare")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="polyseq",
        description="One sequence-modelling engine for every sequence domain; domains are plugins. "
        "Training: polyseq fit|validate|test --help (LightningCLI: every Trainer flag works).",
    )
    parser.add_argument("--version", action="version", version=f"polyseq {__version__}")
    parser.add_argument(
        "--strict-plugins",
        action="store_true",
        help="fail if any plugin fails to load (same as POLYSEQ_STRICT_PLUGINS=1)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    import importlib

    for name in SUBCOMMANDS:
        module = importlib.import_module(f"polyseq.cli.{name}_cmd")
        module.add_parser(sub)
    return parser


LIGHTNING_COMMANDS = ("fit", "validate", "test")


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="polyseq: %(levelname)s: %(message)s")
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in LIGHTNING_COMMANDS:
        return _run_lightning(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.strict_plugins:
        os.environ["POLYSEQ_STRICT_PLUGINS"] = "1"
    try:
        return int(args.run(args) or 0)
    except PolyseqError as e:
        print(f"polyseq {args.command}: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `polyseq tokenize ... | head`
        sys.stderr.close()
        return 0




def _run_lightning(argv: list[str]) -> int:
    from polyseq.training.cli import run

    try:
        return run(argv)
    except PolyseqError as e:
        print(f"polyseq {argv[0]}: error: {e}", file=sys.stderr)
        return 2
