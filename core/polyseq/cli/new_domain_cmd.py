"""`polyseq new-domain NAME [--out DIR]`: write an installable domain plugin that passes the kit."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "new-domain",
        help="write a new domain plugin package (tokenizers, readers, example data, kit test)",
        description="Write an installable polyseq plugin for a new sequence domain, built on the core "
        "tokenizer and reader blocks, with a labelled example file and the conformance kit as its test. "
        "Then: pip install -e DIR && pytest DIR.",
    )
    p.add_argument("name", help="the domain's name (lower case): --data.domain NAME, package polyseq_NAME")
    p.add_argument("--out", type=Path, help="folder to write (default: ./polyseq-NAME)")
    p.add_argument("--alphabet", default="ACGT", help="the symbols samples are made of (default: ACGT)")
    p.add_argument("--force", action="store_true", help="write into a folder that is not empty")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from polyseq.scaffold import write_domain_package

    out = args.out or Path(f"polyseq-{args.name.replace('_', '-')}")
    files = write_domain_package(args.name, out, alphabet=args.alphabet, force=args.force)
    print(f"wrote {len(files)} files under {out}:", file=sys.stderr)
    for f in files:
        print(f"  {f}", file=sys.stderr)
    print(f"next: pip install -e {out} && pytest {out}", file=sys.stderr)
    return 0
