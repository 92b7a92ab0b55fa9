"""`polyseq tokenize`: show how a domain's tokenizer splits a sample or a file, and check the round trip."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from polyseq.cli import add_option_arguments, options_from
from polyseq.errors import ConfigError
from polyseq.records import ReadReport, Record

log = logging.getLogger("polyseq.tokenize")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "tokenize",
        help="tokenize a sample or a file with a domain's tokenizer",
        description="Print tokens and ids of TEXT, or of every record of --file. Learned tokenizers are "
        "trained on the input itself unless --tokenizer-file gives a saved one.",
    )
    p.add_argument("text", nargs="?", help="a sample typed in the domain's text form (a SMILES, a DNA string...)")
    p.add_argument("--domain", help="domain name (see `polyseq plugins`); implied by --dataset")
    p.add_argument("--tokenizer", help="tokenizer name (default: the domain's default)")
    p.add_argument("--tokenizer-file", type=Path, help="a tokenizer JSON saved earlier (overrides --tokenizer)")
    add_option_arguments(p, "tokenizer", "; -o overlap=false is a bool")
    p.add_argument("--file", type=Path, help="read samples from this file with the domain's reader")
    add_option_arguments(p, "reader", "; with --dataset, added to the dataset's own reader options")
    p.add_argument("--dataset", help="read the train files of this catalog dataset instead (see `polyseq datasets`)")
    p.add_argument("--limit", type=int, default=None, help="stop after this many records (>= 1)")
    p.add_argument("--max-record-bytes", type=int, default=None,
                   help="a longer record is a bad record (default: $POLYSEQ_MAX_RECORD_BYTES, else 10 MB; 0: no limit)")
    p.add_argument("--json", action="store_true", help="one JSON object per record")
    p.add_argument("--check", action="store_true", help="verify decode(encode(x)); exit 1 on any mismatch")
    p.add_argument("--strict", action="store_true", help="a bad record in --file is an error, not a skip")
    p.add_argument("--save-tokenizer", type=Path, help="write the (trained) tokenizer JSON here")
    p.add_argument("--decode-to", type=Path, help="decode the ids again and write the samples with the domain's writer")
    p.set_defaults(run=run)


def load_records(args: argparse.Namespace, domain: Any) -> tuple[list[Record], ReadReport]:
    report = ReadReport()
    if sum(x is not None for x in (args.text, args.file, args.dataset)) != 1:
        raise ConfigError("give either TEXT, --file PATH or --dataset NAME (exactly one)")
    if args.limit is not None and args.limit < 1:
        raise ConfigError(f"--limit must be >= 1 (the number of records to show), got {args.limit}")
    if args.text is not None:
        if args.reader_option:
            raise ConfigError("-r/--data.reader_options apply to --file or --dataset, not to a TEXT argument")
        return [Record(domain.parse_text(args.text), meta={"source": "<argument>", "index": 0})], report
    files, options = [args.file], {}
    if args.dataset is not None:
        from polyseq.catalog import get_dataset, split_files

        entry = get_dataset(args.dataset)
        files = split_files(entry)["train"]
        options = dict(entry.task(None).reader_options)
    options.update(options_from(args, "reader"))
    records = []
    for path in files:
        for record in domain.read(path, strict=args.strict, report=report, max_bytes=args.max_record_bytes, **options):
            records.append(record)
            if args.limit is not None and len(records) >= args.limit:
                return records, report
    return records, report


def make_tokenizer(args: argparse.Namespace, domain: Any, samples: list[Any]) -> Any:
    from polyseq.tokenizers.serialization import load_tokenizer

    if args.tokenizer_file is not None:
        if args.tokenizer or args.option:
            raise ConfigError("--tokenizer-file gives a complete tokenizer: drop --tokenizer and -o/--data.tokenizer_options")
        return load_tokenizer(args.tokenizer_file)
    tokenizer = domain.make_tokenizer(args.tokenizer, **options_from(args, "tokenizer"))
    if getattr(tokenizer, "trainable", False) and not getattr(tokenizer, "is_trained", True):
        log.warning("tokenizer %r is learned: training it on the %d input sample(s)", tokenizer.type_name, len(samples))
        tokenizer.train(samples)
    return tokenizer


def run(args: argparse.Namespace) -> int:
    from polyseq import get_domain

    if args.dataset is not None:
        from polyseq.catalog import get_dataset

        dataset_domain = get_dataset(args.dataset).domain
        if args.domain not in (None, dataset_domain):
            raise ConfigError(f"--domain {args.domain} but --dataset {args.dataset} is a {dataset_domain!r} dataset")
        args.domain = dataset_domain
    if args.domain is None:
        raise ConfigError("--domain is required (or --dataset, which implies it); `polyseq plugins` lists domains")
    domain = get_domain(args.domain)
    records, report = load_records(args, domain)
    if report.n_bad:
        print(f"polyseq tokenize: {report.summary()}", file=sys.stderr)
    if not records:
        print(f"polyseq tokenize: no records to tokenize in {args.file}", file=sys.stderr)
        return 1
    tokenizer = make_tokenizer(args, domain, [r.sample for r in records])
    if args.save_tokenizer:
        tokenizer.save(args.save_tokenizer)
    mismatches, decoded, all_ids = 0, [], []
    for record in records:
        ids = tokenizer.encode(record.sample)
        all_ids.append(ids)
        tokens = tokenizer.tokens(record.sample)  # typed display tokens where a tokenizer has them
        entry: dict[str, Any] = {"source": record.where, "n_tokens": len(ids), "tokens": tokens, "ids": ids}
        if args.check or args.decode_to:
            back = tokenizer.decode(ids)
            decoded.append(back)
            if args.check:
                entry["round_trip"] = back == tokenizer.normalize(record.sample)
                mismatches += not entry["round_trip"]
        if args.json:
            print(json.dumps(entry, ensure_ascii=False, default=str))
        else:
            status = "" if "round_trip" not in entry else ("  round trip: ok" if entry["round_trip"] else "  round trip: MISMATCH")
            print(f"{entry['source']}  ({len(ids)} tokens){status}")
            print("  tokens: " + " ".join(tokens))
            print("  ids:    " + " ".join(map(str, ids)))
    from polyseq.data.unknown import warn_unknown

    warn_unknown(tokenizer, [r.sample for r in records], all_ids, f"{args.file or args.dataset or 'TEXT'}")
    if args.decode_to:
        written = domain.part("writer")(decoded, args.decode_to)
        print(f"decoded samples written to {', '.join(map(str, written))}", file=sys.stderr)
    if args.check:
        print(f"round trip: {len(records) - mismatches}/{len(records)} records exact", file=sys.stderr)
        return 1 if mismatches else 0
    return 0
