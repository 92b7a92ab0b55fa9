"""`polyseq tokenize`: show how a domain's tokenizer splits a sample or a file, and check the round trip."""

from __future__ import annotations

import argparse
import json
import logging
import os
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
    v = p.add_argument_group("views", "see how samples are cut (colours follow NO_COLOR)")
    v.add_argument("--show", action="store_true",
                   help="print each sample with its token boundaries in colour "
                        "(<unk>, byte fallback and special tokens highlighted)")
    v.add_argument("--html", type=Path, metavar="FILE", help="write the same view as one self-contained HTML page")
    v.add_argument("--image", type=Path, metavar="PNG",
                   help="piano roll of each sample with token boundaries (tokenizers with token_times: midi); "
                        "records after the first get -2, -3... before the suffix")
    v.add_argument("--compare", metavar="TOK1,TOK2,...",
                   help="cut the same input with several tokenizers of the domain (options after ':', "
                        "e.g. char,bpe:vocab_size=500) and print a table of their statistics")
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
    import json

    from polyseq.tokenizers.serialization import check_domain, load_tokenizer

    if args.tokenizer_file is not None:
        if args.tokenizer or args.option:
            raise ConfigError("--tokenizer-file gives a complete tokenizer: drop --tokenizer and -o/--data.tokenizer_options")
        tokenizer = load_tokenizer(args.tokenizer_file)  # every format problem first, in its own words
        with open(args.tokenizer_file, encoding="utf-8") as f:
            check_domain(json.load(f), domain.name, f"--tokenizer-file {args.tokenizer_file}")
        return tokenizer
    return build_tokenizer(domain, args.tokenizer, options_from(args, "tokenizer"), samples)


def build_tokenizer(domain: Any, name: str | None, options: dict[str, Any], samples: list[Any]) -> Any:
    """The domain's tokenizer `name` with `options`, trained on `samples` when it is learned."""
    tokenizer = domain.make_tokenizer(name, **options)
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
    check_view_options(args)
    domain = get_domain(args.domain)
    records, report = load_records(args, domain)
    if report.n_bad:
        print(f"polyseq tokenize: {report.summary()}", file=sys.stderr)
    if not records:
        print(f"polyseq tokenize: no records to tokenize in {args.file}", file=sys.stderr)
        return 1
    if args.compare is not None:
        return run_compare(args, domain, records)
    tokenizer = make_tokenizer(args, domain, [r.sample for r in records])
    if args.save_tokenizer:
        from polyseq.tokenizers.serialization import save_tokenizer

        save_tokenizer(tokenizer, args.save_tokenizer, domain.name)  # the file records its domain
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
            if args.show:
                show(tokenizer, record.sample)
                continue
            print("  tokens: " + " ".join(tokens))
            print("  ids:    " + " ".join(map(str, ids)))
    if args.html or args.image:
        write_views(args, tokenizer, records, all_ids)
    from polyseq.data.unknown import warn_unknown

    warn_unknown(tokenizer, [r.sample for r in records], all_ids, f"{args.file or args.dataset or 'TEXT'}")
    if args.decode_to:
        written = domain.part("writer")(decoded, args.decode_to)
        print(f"decoded samples written to {', '.join(map(str, written))}", file=sys.stderr)
    if args.check:
        print(f"round trip: {len(records) - mismatches}/{len(records)} records exact", file=sys.stderr)
        return 1 if mismatches else 0
    return 0


# ---- views (polyseq.views.tokens) ---------------------------------------------------------------


def colour_wanted(args: argparse.Namespace) -> bool:
    """ANSI colours only when --show asks for them, and never with NO_COLOR set (no-color.org)."""
    return bool(args.show) and not os.environ.get("NO_COLOR")


def check_view_options(args: argparse.Namespace) -> None:
    from polyseq.views import check_image_path

    check_image_path(args.image, "--image")
    if args.json and (args.show or args.compare is not None):
        raise ConfigError("--json prints plain records: drop --show/--compare, or --json")
    if args.compare is not None and (args.tokenizer or args.tokenizer_file or args.option or args.save_tokenizer
                                     or args.check or args.decode_to or args.image):
        raise ConfigError("--compare names its tokenizers (and their options after ':'): drop --tokenizer, "
                          "--tokenizer-file, -o, --save-tokenizer, --check, --decode-to and --image")


def show(tokenizer: Any, sample: Any) -> None:
    from polyseq.views.tokens import legend_line, render_terminal, token_view

    colour = not os.environ.get("NO_COLOR")
    view = token_view(tokenizer, sample)
    print("  " + render_terminal(view, colour).replace("\n", "\n  "))
    print("  " + legend_line(view, colour))


def _image_path(path: Path, k: int) -> Path:
    return path if k == 0 else path.with_name(f"{path.stem}-{k + 1}{path.suffix}")


def write_views(args: argparse.Namespace, tokenizer: Any, records: list[Record], all_ids: list[list[int]]) -> None:
    from polyseq.views import token_roll
    from polyseq.views.tokens import render_html, render_html_section, token_view

    name = getattr(tokenizer, "type_name", type(tokenizer).__name__)
    drawable = bool(records) and token_roll.can_draw(tokenizer, records[0].sample)
    if args.image and not drawable:
        raise ConfigError(f"--image: tokenizer {name!r} places no tokens in time (no token_times) or its samples "
                          "have no notes; --show and --html work for every tokenizer")
    sections = []
    for k, (record, ids) in enumerate(zip(records, all_ids)):
        png = token_roll.roll_png(tokenizer, ids, record.where) if drawable else None
        if args.image and png is not None:
            _image_path(args.image, k).write_bytes(png)
        sections.append(render_html_section(f"{record.where} ({name})", token_view(tokenizer, record.sample), png))
    if args.html:
        args.html.write_text(render_html(f"polyseq tokenize: {args.domain}, {name}", sections), encoding="utf-8")
        print(f"token view written to {args.html}", file=sys.stderr)
    if args.image:
        print(f"piano roll(s) written to {args.image}" + (" and siblings" if len(records) > 1 else ""), file=sys.stderr)


def run_compare(args: argparse.Namespace, domain: Any, records: list[Record]) -> int:
    """Each tokenizer of --compare on the same records: the first record cut by each, then the table."""
    from polyseq.cli import parse_options
    from polyseq.views.tokens import (
        compare_row, legend_line, parse_compare, render_html, render_html_section, render_html_table, render_table,
        render_terminal, token_view,
    )

    samples = [r.sample for r in records]
    colour, rows, sections = colour_wanted(args), [], []
    first = records[0].where + (f" (first of {len(records)} records)" if len(records) > 1 else "")
    print(f"{first}, cut by each tokenizer:")
    for label, name, options in parse_compare(args.compare):
        tokenizer = build_tokenizer(domain, name, parse_options(options), samples)
        rows.append(compare_row(label, tokenizer, samples, tokenizer.encode_batch(samples)))
        view = token_view(tokenizer, samples[0])
        print(f"[{label}]  " + render_terminal(view, colour).replace("\n", "\n  "))
        print("  " + legend_line(view, colour))
        sections.append(render_html_section(f"{label}: {first}", view))
    table = render_table(rows, len(samples))
    print()
    print(table)
    if args.html:
        sections.append(render_html_table(rows, len(samples)))
        args.html.write_text(render_html(f"polyseq tokenize --compare: {args.domain}", sections), encoding="utf-8")
        print(f"token view written to {args.html}", file=sys.stderr)
    return 0
