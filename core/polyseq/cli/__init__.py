"""The `polyseq` command. Each subcommand lives in its own module with `add_parser` and `run`.

User errors (`PolyseqError`) print one clear message and exit with status 2; anything else is a
bug and keeps its traceback.

One option syntax for every command. Tokenizer and reader options are spelled as LightningCLI spells
them, and every command that takes them accepts the same three forms, read left to right:

    --data.tokenizer_options '{k: 3, overlapping: false}'   a YAML/JSON mapping: replaces what came before
    --data.tokenizer_options.k=3                            one key (LightningCLI's own dotted form)
    -o k=3                                                  the short form of the line above

and likewise `--data.reader_options '{target: label}'`, `--data.reader_options.target=label`, `-r
target=label`. Values follow YAML rules in every form (`3` is an int, `false` a bool, `null` None,
`[1, 2]` a list). `fit`/`validate`/`test` get the short forms rewritten into the dotted form before
LightningCLI parses them; the other commands get the dotted form rewritten into the short one.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from polyseq import __version__
from polyseq.errors import ConfigError, PolyseqError

SUBCOMMANDS = ("plugins", "tokenize", "predict", "generate", "export", "embed", "datasets", "compare", "new-domain", "estimate", "plot", "baseline")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="polyseq",
        description="One sequence-modelling engine for every sequence domain; domains are plugins. "
        "Training: polyseq fit|validate|test --help (LightningCLI: every Trainer flag works). "
        "Tokenizer and reader options take the same forms in every command: "
        "--data.tokenizer_options '{k: 3}', --data.tokenizer_options.k=3 or -o k=3; "
        "--data.reader_options '{target: label}', --data.reader_options.target=label or -r target=label.",
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
        module = importlib.import_module(f"polyseq.cli.{name.replace('-', '_')}_cmd")
        module.add_parser(sub)
    return parser


LIGHTNING_COMMANDS = ("fit", "validate", "test")


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="polyseq: %(levelname)s: %(message)s")
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in LIGHTNING_COMMANDS:
        return _run_lightning(argv)
    parser = build_parser()
    args = parser.parse_args(dotted_to_short(argv))
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
    try:
        argv = short_to_dotted(argv)
        from polyseq.training.cli import run

        return run(argv)
    except PolyseqError as e:
        print(f"polyseq {argv[0]}: error: {e}", file=sys.stderr)
        return 2
    except Exception as e:
        # Lightning's own check of a Trainer flag (`--trainer.max_steps -5`): a user error, not a bug
        if any(c.__name__ == "MisconfigurationException" for c in type(e).__mro__):
            print(f"polyseq {argv[0]}: error: {e}", file=sys.stderr)
            return 2
        raise


# ---- one option syntax -------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionKind:
    """How one kind of options (`tokenizer`, `reader`) is spelled on every command line."""

    short: str  # -o
    long: str  # --option
    mapping: str  # --data.tokenizer_options (the LightningCLI name)
    dest: str  # the argparse attribute holding [(form, text), ...] in command-line order
    what: str  # for --help
    example: str  # KEY=VALUE example for --help


OPTION_KINDS = {
    "tokenizer": OptionKind("-o", "--option", "--data.tokenizer_options", "option", "the tokenizer", "k=6"),
    "reader": OptionKind("-r", "--reader-option", "--data.reader_options", "reader_option", "the domain's reader", "target=label"),
}


class _Append(argparse.Action):
    """Append (form, text) to one list shared by the short, long and mapping flags, keeping their order."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: str | None = None) -> None:
        entries = list(getattr(namespace, self.dest, None) or [])
        entries.append((self.const, option_string, values))
        setattr(namespace, self.dest, entries)


def add_option_arguments(parser: argparse.ArgumentParser, kind: str, note: str = "") -> None:
    """`-o/--option KEY=VALUE` and `--data.tokenizer_options MAPPING` (or -r and --data.reader_options)."""
    k = OPTION_KINDS[kind]
    parser.add_argument(
        k.short, k.long, dest=k.dest, action=_Append, const="pair", default=[], metavar="KEY=VALUE",
        help=f"option for {k.what}, repeatable; the value is read as YAML (e.g. {k.short} {k.example}); "
        f"same as {k.mapping}.KEY=VALUE{note}",
    )
    parser.add_argument(
        k.mapping, dest=k.dest, action=_Append, const="mapping", metavar="MAPPING",
        help=f"all options for {k.what} as a YAML/JSON mapping (e.g. '{{{k.example.replace('=', ': ')}}}'), as in "
        f"`polyseq fit`; it replaces options given before it, later {k.short} add to it",
    )


def options_from(args: argparse.Namespace, kind: str) -> dict[str, Any]:
    """The options of `kind` given on the command line, applied left to right (every problem at once)."""
    return parse_options(getattr(args, OPTION_KINDS[kind].dest, None) or [], kind)


def parse_options(entries: Sequence[Any], kind: str = "tokenizer") -> dict[str, Any]:
    """[(form, flag, text)] or plain "KEY=VALUE" strings -> options, values read with YAML rules."""
    import yaml

    k = OPTION_KINDS[kind]
    options: dict[str, Any] = {}
    problems = []
    for entry in entries:
        form, flag, text = entry if isinstance(entry, tuple) else ("pair", k.long, entry)
        if form == "mapping":
            try:
                value = yaml.safe_load(text) if text.strip() else {}
            except yaml.YAMLError as e:
                problems.append(f"{k.mapping} {text!r}: not YAML or JSON ({str(e).splitlines()[0]})")
                continue
            if value is None:
                value = {}
            if not isinstance(value, dict):
                problems.append(f"{k.mapping} {text!r}: expected a mapping such as "
                                f"'{{{k.example.replace('=', ': ')}}}' (or {k.short} {k.example})")
                continue
            options = {str(key): v for key, v in value.items()}
            continue
        key, sep, value_text = text.partition("=")
        if not sep or not key.strip():
            problems.append(f"{flag or k.long} {text!r}: expected KEY=VALUE (e.g. {k.short} {k.example})")
            continue
        try:
            options[key.strip()] = yaml.safe_load(value_text) if value_text else ""
        except yaml.YAMLError:
            options[key.strip()] = value_text  # e.g. a SMILES with ':' or '[' is meant as text
    if problems:
        raise ConfigError(problems)
    return options


def dotted_to_short(argv: Sequence[str]) -> list[str]:
    """`--data.tokenizer_options.k=3` -> `--option k=3` (for the argparse commands)."""
    out: list[str] = []
    items = iter(argv)
    for arg in items:
        kind = _dotted_kind(arg)
        if kind is None:
            out.append(arg)
            continue
        key, sep, value = arg[len(OPTION_KINDS[kind].mapping) + 1 :].partition("=")
        if not sep:
            value = next(items, "")
        out += [OPTION_KINDS[kind].long, f"{key}={value}"]
    return out


def short_to_dotted(argv: Sequence[str]) -> list[str]:
    """`-o k=3` / `--option k=3` / `-r key=value` -> `--data.tokenizer_options.k=3` ... (for LightningCLI)."""
    flags = {flag: k for k in OPTION_KINDS.values() for flag in (k.short, k.long)}
    out: list[str] = []
    problems = []
    items = iter(argv)
    for arg in items:
        flag, value = arg, None
        if arg.startswith("--") and "=" in arg:
            flag, _, value = arg.partition("=")
        elif arg[:2] in flags and len(arg) > 2 and not arg.startswith("--"):
            flag, value = arg[:2], arg[2:].removeprefix("=")  # -ok=3, -o=k=3
        if flag not in flags:
            out.append(arg)
            continue
        k = flags[flag]
        if value is None:
            value = next(items, "")
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            problems.append(f"{flag} {value!r}: expected KEY=VALUE (e.g. {k.short} {k.example})")
            continue
        out.append(f"{k.mapping}.{key.strip()}={rest}")
    if problems:
        raise ConfigError(problems)
    return out


def _dotted_kind(arg: str) -> str | None:
    for name, k in OPTION_KINDS.items():
        if arg.startswith(k.mapping + ".") and len(arg.partition("=")[0]) > len(k.mapping) + 1:
            return name
    return None
