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
    p.add_argument("--ckpt", required=True, nargs="+",
                   help="a checkpoint written by `polyseq fit`, or a `polyseq export` folder; several (classify, "
                        "regress): an ensemble, each record's class probabilities or values averaged over the models")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", type=Path, help="records to predict, read with the domain's reader")
    source.add_argument("--split", choices=("val", "test"),
                        help="predict a split of the data the checkpoint's run trained on (rebuilt from the run's "
                             "config.yaml: same files, split and seed) and print the task's metrics on it")
    p.add_argument("--out", required=True, type=Path, help="CSV to write (id, then the task's columns: prediction, prob_<label>, pred_<target>...)")
    p.add_argument("--strict", action="store_true", help="a bad record is an error instead of a skip")
    p.add_argument("--beam-size", type=int, default=1, help="seq2seq: beam search width (1: greedy)")
    p.add_argument("--max-new-tokens", type=int, default=None, help="seq2seq: longest output (default: the model's max_length)")
    p.add_argument("--tta", type=int, default=1, metavar="N",
                   help="test-time augmentation (classify, regress): average the class probabilities or values of "
                        "each record over itself and N-1 copies passed through --augment (default 1: off)")
    p.add_argument("--augment", nargs="+", default=None, metavar="NAME",
                   help="with --tta: the domain's augmentations for the copies (e.g. randomize for SMILES)")
    p.add_argument("--tta-seed", type=int, default=0, help="with --tta: seed of the augmented copies (default 0)")
    add_inference_arguments(p, batch_size=64)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from polyseq.cli.checkpoint import make_trainer, model_items, open_checkpoint, read_input, sample_items
    from polyseq.training import inference

    if args.batch_size < 1:
        raise ConfigError(f"--batch-size must be >= 1, got {args.batch_size}")
    if args.tta < 1:
        raise ConfigError(f"--tta must be >= 1 (1: no test-time augmentation), got {args.tta}")
    if args.tta > 1 and not args.augment:
        raise ConfigError("--tta needs --augment NAME: the augmentation that makes the copies")
    if args.augment and args.tta == 1:
        raise ConfigError("--augment is for --tta N with N >= 2 copies per record; give --tta too")
    trainer = make_trainer(args)
    main = inference.is_main_process()
    ensemble = [open_checkpoint(c) for c in args.ckpt]
    loaded = ensemble[0]
    model = loaded.model
    if len(ensemble) > 1:
        _check_ensemble(args.ckpt, ensemble)
        if main:  # a shell glob can name several checkpoints: say that they are averaged
            print(f"polyseq predict: an ensemble of {len(ensemble)} checkpoints, outputs averaged: "
                  f"{', '.join(map(str, args.ckpt))}", file=sys.stderr)
    augment = loaded.domain.augmenter(args.augment, "--augment") if args.augment else None
    if args.split is not None:
        records, targets = _ensemble_split(args.ckpt, ensemble, args.split)
    else:
        records, targets = read_input(loaded.domain, args.input, "predict", args, args.strict, quiet=not main), None
    if args.tta > 1 and not model.task.has_record_outputs:
        model.task.record_outputs(model, {})  # the task's own refusal, before any work
    scored = model.task.has_record_outputs and (args.tta > 1 or targets is not None or len(ensemble) > 1)
    if scored:  # per-record outputs, averaged over the copies of each record, then over the models
        import torch

        copies = args.tta
        samples = _copies([r.sample for r in records], copies, augment, args.tta_seed)
        means = []
        for member in ensemble:
            collate = member.model.task.collate(member.info, {})
            outputs = inference.run(trainer, member.model, len(samples), args.batch_size,
                                    lambda start, stop, m=member, c=collate: c(sample_items(m, samples[start:stop])),
                                    lambda model, batch, start: model.task.record_outputs(model, batch))
            if not trainer.is_global_zero:
                return 0
            means.append(torch.stack(inference.flatten(outputs)).reshape(len(records), copies, -1).mean(1))
        mean = torch.stack(means).mean(0)
        values = model.task.output_rows(model, mean)
        if targets is not None:
            _print_metrics(model, mean, targets, args.split)
    else:
        collate = model.task.collate(loaded.info, {})
        options = {k: getattr(args, k) for k in ("beam_size", "max_new_tokens")}
        outputs = inference.run(trainer, model, len(records), args.batch_size,
                                lambda start, stop: collate(model_items(loaded, records[start:stop])),
                                lambda model, batch, start: model.predict_rows(batch, options))
        if not trainer.is_global_zero:
            return 0
        values = inference.flatten(outputs)
    rows = [_row(record, v) for record, v in zip(records, values, strict=True)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["id"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} predictions written to {args.out}", file=sys.stderr)
    return 0


def _copies(samples: list[Any], copies: int, augment: Any, seed: int) -> list[Any]:
    """Each sample, then copies-1 augmented copies of it, in order. Copy c of sample i has its own
    generator (seeded with seed, i and c), so the copies do not depend on batching or devices."""
    import random

    out = []
    for i, sample in enumerate(samples):
        out.append(sample)
        out += [augment(sample, random.Random(f"{seed}:{i}:{c}")) for c in range(1, copies)]
    return out


def _check_ensemble(paths: list[str], ensemble: list[Any]) -> None:
    """Several checkpoints are averaged: each must give per-record outputs of the same kind."""
    first = ensemble[0].info
    for path, member in zip(paths, ensemble, strict=True):
        if not member.model.task.has_record_outputs:
            raise ConfigError(f"--ckpt {path}: a {member.info.task!r} model's predictions cannot be averaged with "
                              "other checkpoints' (an ensemble of several --ckpt needs classify or regress models)")
        for key in ("domain", "task", "labels", "target_names"):
            if getattr(member.info, key) != getattr(first, key):
                raise ConfigError(f"--ckpt {path}: {key} {getattr(member.info, key)!r}, but {paths[0]} has "
                                  f"{getattr(first, key)!r}; an ensemble averages models of one task on one domain")


def _ensemble_split(paths: list[str], ensemble: list[Any], split: str) -> tuple[list[Any], Any]:
    """The split of the runs that wrote the checkpoints; with several, they must be the same records."""
    import numpy as np

    records, targets = _run_split(paths[0], ensemble[0].model, split)
    for path, member in zip(paths[1:], ensemble[1:], strict=True):
        theirs, their_targets = _run_split(path, member.model, split)
        if [r.where for r in theirs] != [r.where for r in records] or not np.array_equal(their_targets, targets):
            raise ConfigError(f"--split {split}: the run of --ckpt {path} has other {split} records than the run of "
                              f"{paths[0]} (another data.seed, split or files); an ensemble is scored on one split")
    return records, targets


def _run_split(ckpt: str, model: Any, split: str) -> tuple[list[Any], Any]:
    """The records and targets of `split` of the run that wrote `ckpt` (RUN/checkpoints/X.ckpt)."""
    from polyseq.errors import PolyseqError
    from polyseq.views.run_folder import Run, read_config, split_records

    folder = Path(ckpt).resolve().parent.parent
    run = Run(folder)
    data = read_config(run)
    if data is None:
        raise PolyseqError(f"--split needs the config.yaml of the run that wrote --ckpt {ckpt}: none in {folder} "
                           "(give a checkpoint from RUN/checkpoints/ of a `polyseq fit` run, or --input FILE)")
    return split_records(run, data, model, split)


def _print_metrics(model: Any, outputs: Any, targets: Any, split: str) -> None:
    """The task's metrics of the (averaged) outputs against the split's targets, one `split/name\tvalue` per line."""
    import torch

    metrics = model.task.metrics(model.info)
    metrics.update(outputs, torch.as_tensor(targets))
    for name, value in metrics.compute().items():
        print(f"{split}/{name}\t{float(value):.6g}")


def _row(record: Any, values: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"id": record.meta.get("id", record.where)}
    if "id" in record.meta:
        row["source"] = record.where
    row.update(values)
    if record.target is not None:
        row["target"] = record.target
    return row
