"""`polyseq export --ckpt X --out DIR`: safetensors weights + JSON config + tokenizer JSON, no pickle."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("export", help="write a checkpoint as safetensors + JSON (loadable by generate/predict/init_from)")
    p.add_argument("--ckpt", required=True, help="a checkpoint written by `polyseq fit`")
    p.add_argument("--out", required=True, type=Path, help="folder to write model.safetensors, config.json, tokenizer.json")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from polyseq.training.pretrained import export

    written = export(args.ckpt, args.out)
    print(f"exported {args.ckpt} to {', '.join(map(str, written))}", file=sys.stderr)
    return 0
