"""`polyseq predict --ckpt X --input FILE --out preds.csv`: one row per input record, in input order.

The loop is `polyseq.training.inference` (Lightning's Trainer.predict): --trainer.* flags as in fit.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

from polyseq.cli.checkpoint import add_inference_arguments
from polyseq.errors import ConfigError


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "predict",
        help="predict per record (a class, values, per-position labels or a target sequence) with a trained checkpoint",
        description="Needs only the checkpoint: it carries the tokenizer, labels, scaler and domain.",
    )
    p.add_argument("--ckpt", required=True, help="a checkpoint written by `polyseq fit`, or a `polyseq export` folder")
    p.add_argument("--input", required=True, type=Path, help="records to predict, read with the domain's reader")
    p.add_argument("--out", required=True, type=Path, help="CSV to write (id, then the task's columns: prediction, prob_<label>, pred_<target>...)")
    p.add_argument("--strict", action="store_true", help="a bad record is an error instead of a skip")
    p.add_argument("--beam-size", type=int, default=1, help="seq2seq: beam search width (1: greedy)")
    p.add_argument("--max-new-tokens", type=int, default=None, help="seq2seq: longest output (default: the model's max_length)")
    add_inference_arguments(p, batch_size=64)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from polyseq.cli.checkpoint import make_trainer, model_items, open_checkpoint, read_input
    from polyseq.training import inference

    if args.batch_size < 1:
        raise ConfigError(f"--batch-size must be >= 1, got {args.batch_size}")
    trainer = make_trainer(args)
    main = inference.is_main_process()
    loaded = open_checkpoint(args.ckpt)
    model = loaded.model
    records = read_input(loaded.domain, args.input, "predict", args, args.strict, quiet=not main)
    collate = model.task.collate(loaded.info, {})
    options = {k: getattr(args, k) for k in ("beam_size", "max_new_tokens")}
    outputs = inference.run(trainer, model, len(records), args.batch_size,
                            lambda start, stop: collate(model_items(loaded, records[start:stop])),
                            lambda model, batch, start: model.predict_rows(batch, options))
    if not trainer.is_global_zero:
        return 0
    rows = [_row(record, values) for record, values in zip(records, inference.flatten(outputs), strict=True)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["id"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} predictions written to {args.out}", file=sys.stderr)
    return 0


def _row(record: Any, values: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"id": record.meta.get("id", record.where)}
    if "id" in record.meta:
        row["source"] = record.where
    row.update(values)
    if record.target is not None:
        row["target"] = record.target
    return row
