"""`polyseq tokenize`: show how a domain's tokenizer splits a sample or a file, and check the round trip."""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from polyseq.cli import add_option_arguments, options_from
from polyseq.errors import ConfigError
from polyseq.records import ReadReport, Record
from polyseq.tokenizers.base import UNK_ID

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
    p.add_argument("--file", type=Path,
                   help="read samples from this file with the domain's reader (a glob pattern reads each match)")
    add_option_arguments(p, "reader", "; with --dataset, added to the dataset's own reader options")
    p.add_argument("--dataset", help="read the train files of this catalog dataset instead (see `polyseq datasets`)")
    p.add_argument("--limit", type=int, default=None, help="stop after this many records (>= 1)")
    p.add_argument("--max-record-bytes", type=int, default=None,
                   help="a longer record is a bad record (default: $POLYSEQ_MAX_RECORD_BYTES, else 10 MB; 0: no limit)")
    p.add_argument("--json", action="store_true", help="one JSON object per record")
    p.add_argument("--check", action="store_true", help="verify decode(encode(x)); exit 1 on any mismatch")
    p.add_argument("--strict", action="store_true", help="a bad record in --file is an error, not a skip")
    p.add_argument("--tokenizer-sample", type=int, metavar="N",
                   help="a learned tokenizer trains on N records of --file drawn at random (default: all)")
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


class Records:
    """The records of TEXT, --file or --dataset (at most --limit), read afresh on each iteration, so
    that `tokenize` holds one record at a time, not the input: a learned tokenizer trains on a
    first pass and the records are printed on the next. `report` is the latest pass's.

    After `spool()`, a file read to its end has its text records spooled to a temporary folder and
    replayed by later passes (`polyseq.data.stream.StreamSource`, as the token cache build does), so
    a reader that validates each record (RDKit, the LaTeX check) runs once per record."""

    def __init__(self, args: argparse.Namespace, domain: Any):
        if sum(x is not None for x in (args.text, args.file, args.dataset)) != 1:
            raise ConfigError("give either TEXT, --file PATH or --dataset NAME (exactly one)")
        if args.limit is not None and args.limit < 1:
            raise ConfigError(f"--limit must be >= 1 (the number of records to show), got {args.limit}")
        self.report, self.limit, self.text, self._tmp = ReadReport(), args.limit, None, None
        if args.text is not None:
            if args.reader_option:
                raise ConfigError("-r/--data.reader_options apply to --file or --dataset, not to a TEXT argument")
            self.text = Record(domain.parse_text(args.text), meta={"source": "<argument>", "index": 0})
            return
        self.files, options = files_of(args.file), {}
        if args.dataset is not None:
            from polyseq.catalog import get_dataset, split_files

            entry = get_dataset(args.dataset)
            self.files = split_files(entry)["train"]
            options = dict(entry.task(None).reader_options)
        options.update(options_from(args, "reader"))

        def read(path: Path, report: ReadReport) -> Iterator[Record]:
            return domain.read(path, strict=args.strict, report=report, max_bytes=args.max_record_bytes, **options)

        from polyseq.data.stream import StreamSource

        self.source = StreamSource(read, {"train": self.files}, ("train",))

    def __iter__(self) -> Iterator[Record]:
        self.report = report = ReadReport()
        if self.text is not None:
            yield self.text
            return
        with contextlib.closing(self.source.records(self.files, report)) as records:  # an early stop unlinks its spool
            yield from itertools.islice(records, self.limit)

    def samples(self) -> Iterable[Any]:
        """The samples, re-iterable (a tokenizer may read them more than once)."""
        records = self

        class Samples:
            def __iter__(self) -> Iterator[Any]:
                return (r.sample for r in records)

        return Samples()

    def empty(self) -> bool:
        """Whether no record comes (reads the first only, unless every record is bad)."""
        return not any(True for _ in self)

    def spool(self) -> None:
        """Keep the text records of each file read to its end for the later passes (see the class)."""
        if self.text is None and self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="polyseq-tokenize-")
            self.source.spool = Path(self._tmp.name) / "spool"

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def files_of(path: Path | None) -> list[Path]:
    """--file: one path, or a glob pattern (`songs/*.mid`) read file by file in sorted order."""
    import glob

    if path is None or not glob.has_magic(str(path)):
        return [] if path is None else [path]
    files = sorted(Path(p) for p in glob.glob(os.path.expanduser(str(path))))
    if not files:
        raise ConfigError(f"--file {path}: the pattern matches no file")
    return files


def make_tokenizer(args: argparse.Namespace, domain: Any, records: Records) -> Any:
    import json

    from polyseq.tokenizers.serialization import check_domain, load_tokenizer

    if args.tokenizer_file is not None:
        if args.tokenizer or args.option:
            raise ConfigError("--tokenizer-file gives a complete tokenizer: drop --tokenizer and -o/--data.tokenizer_options")
        if args.tokenizer_sample is not None:
            raise ConfigError("--tokenizer-file gives a trained tokenizer, so it trains on nothing: drop --tokenizer-sample")
        tokenizer = load_tokenizer(args.tokenizer_file)  # every format problem first, in its own words
        with open(args.tokenizer_file, encoding="utf-8") as f:
            check_domain(json.load(f), domain.name, f"--tokenizer-file {args.tokenizer_file}")
        return tokenizer
    return build_tokenizer(domain, args.tokenizer, options_from(args, "tokenizer"), records, args.tokenizer_sample)


def build_tokenizer(domain: Any, name: str | None, options: dict[str, Any], records: Records,
                    sample: int | None = None, must_learn: bool = True) -> Any:
    """The domain's tokenizer `name` with `options`, trained on a pass over `records` (or over
    `sample` of them drawn at random) when it is learned; a `sample` for a tokenizer that learns
    nothing is an error when `must_learn` (--compare checks that one of its tokenizers learns)."""
    from polyseq.data.splits import Subsample

    if sample is not None and sample < 1:
        raise ConfigError(f"--tokenizer-sample must be >= 1 record (omit it to train on all), got {sample}")
    tokenizer = domain.make_tokenizer(name, **options)
    learns = getattr(tokenizer, "trainable", False) and not getattr(tokenizer, "is_trained", True)
    if sample is not None and must_learn and not learns:
        raise ConfigError(f"--tokenizer-sample {sample}: tokenizer {tokenizer.type_name!r} does not learn a "
                          "vocabulary, so it trains on nothing; drop --tokenizer-sample")
    if learns:
        log.warning("tokenizer %r is learned: training it on the input's samples (one more pass over them)",
                    tokenizer.type_name)
        records.spool()
        samples = records.samples()
        tokenizer.train(samples if sample is None else Subsample(samples, sample, seed=0))
    return tokenizer


class Unknowns:
    """Running count of <unk> ids, and the first samples that have one (up to about 1 MB of them)
    for the warning's examples (`polyseq.data.unknown.warn_unknown`)."""

    def __init__(self) -> None:
        self.n_unk, self.n, self.kept, self.samples, self.seqs = 0, 0, 0, [], []

    def add(self, sample: Any, ids: list[int]) -> None:
        n_unk = ids.count(UNK_ID) if isinstance(ids, list) else sum(1 for i in ids if i == UNK_ID)
        self.n_unk, self.n = self.n_unk + n_unk, self.n + len(ids)
        if n_unk and self.kept < 1_000_000:
            self.samples.append(sample)
            self.seqs.append(ids)
            self.kept += len(ids)


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
    records = Records(args, domain)
    try:
        if records.empty():
            if records.report.n_bad:
                print(f"polyseq tokenize: {records.report.summary()}", file=sys.stderr)
            print(f"polyseq tokenize: no records to tokenize in {args.file}", file=sys.stderr)
            return 1
        if args.compare is not None:
            return run_compare(args, domain, records)
        return tokenize(args, domain, records)
    finally:
        records.close()


def tokenize(args: argparse.Namespace, domain: Any, records: Records) -> int:
    """Each record printed as it is read; only --html/--image keep the records (and their ids);
    --decode-to's writer takes each decoded sample as its record is printed (one pass, one encode)."""
    tokenizer = make_tokenizer(args, domain, records)
    if args.save_tokenizer:
        from polyseq.tokenizers.serialization import save_tokenizer

        save_tokenizer(tokenizer, args.save_tokenizer, domain.name)  # the file records its domain
    counts, unknowns, kept = {"n": 0, "mismatches": 0}, Unknowns(), []
    decoded = print_records(args, tokenizer, records, counts, unknowns, kept)
    written = domain.part("writer")(decoded, args.decode_to) if args.decode_to else None
    for _ in decoded:  # without --decode-to (or a writer that stopped early): print the rest
        pass
    if records.report.n_bad:
        print(f"polyseq tokenize: {records.report.summary()}", file=sys.stderr)
    if kept:
        write_views(args, tokenizer, [r for r, _ in kept], [ids for _, ids in kept])
    from polyseq.data.unknown import warn_unknown

    warn_unknown(tokenizer, unknowns.samples, unknowns.seqs, f"{args.file or args.dataset or 'TEXT'}",
                 totals=(unknowns.n_unk, unknowns.n))
    if written is not None:
        print(f"decoded samples written to {', '.join(map(str, written))}", file=sys.stderr)
    if args.check:
        n, mismatches = counts["n"], counts["mismatches"]
        print(f"round trip: {n - mismatches}/{n} records exact", file=sys.stderr)
        return 1 if mismatches else 0
    return 0


def print_records(args: argparse.Namespace, tokenizer: Any, records: Records, counts: dict[str, int],
                  unknowns: Unknowns, kept: list[tuple[Record, list[int]]]) -> Iterator[Any]:
    """Print each record's tokens as it is read (counting records and round-trip mismatches, <unk>s,
    and keeping records for --html/--image); yields each decoded sample when --check/--decode-to need it."""
    for record in records:
        counts["n"] += 1
        ids = tokenizer.encode(record.sample)
        unknowns.add(record.sample, ids)
        if args.html or args.image:
            kept.append((record, ids))
        tokens = tokenizer.tokens(record.sample)  # typed display tokens where a tokenizer has them
        entry: dict[str, Any] = {"source": record.where, "n_tokens": len(ids), "tokens": tokens, "ids": ids}
        back = tokenizer.decode(ids) if args.check or args.decode_to else None
        if args.check:
            entry["round_trip"] = back == tokenizer.normalize(record.sample)
            counts["mismatches"] += not entry["round_trip"]
        if args.json:
            print(json.dumps(entry, ensure_ascii=False, default=str))
        else:
            status = "" if "round_trip" not in entry else ("  round trip: ok" if entry["round_trip"] else "  round trip: MISMATCH")
            print(f"{entry['source']}  ({len(ids)} tokens){status}")
            if args.show:
                show(tokenizer, record.sample)
            else:
                print("  tokens: " + " ".join(tokens))
                print("  ids:    " + " ".join(map(str, ids)))
        yield back


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


def run_compare(args: argparse.Namespace, domain: Any, records: Records) -> int:
    """Each tokenizer of --compare on the same records: the first record cut by each, then the table.
    The table's figures are running sums over one pass (after a pass per learned tokenizer to train it)."""
    from polyseq.cli import parse_options
    from polyseq.views.tokens import (
        CompareStats, legend_line, parse_compare, render_html, render_html_section, render_html_table, render_table,
        render_terminal, token_view,
    )

    built = [(label, build_tokenizer(domain, name, parse_options(options), records, args.tokenizer_sample, must_learn=False))
             for label, name, options in parse_compare(args.compare)]
    if args.tokenizer_sample is not None and not any(getattr(t, "trainable", False) for _, t in built):
        raise ConfigError(f"--tokenizer-sample {args.tokenizer_sample}: none of the --compare tokenizers learns a "
                          "vocabulary, so it trains nothing; drop --tokenizer-sample")
    stats = [CompareStats(label, tokenizer) for label, tokenizer in built]
    first, n = None, 0
    for chunk, n_bytes in _chunks(records):
        first, n = first or chunk[0], n + len(chunk)
        samples = [r.sample for r in chunk]
        for s in stats:
            s.add_batch(s.tokenizer.encode_batch(samples), n_bytes)
    colour, sections = colour_wanted(args), []
    heading = first.where + (f" (first of {n} records)" if n > 1 else "")
    print(f"{heading}, cut by each tokenizer:")
    for label, tokenizer in built:
        view = token_view(tokenizer, first.sample)
        print(f"[{label}]  " + render_terminal(view, colour).replace("\n", "\n  "))
        print("  " + legend_line(view, colour))
        sections.append(render_html_section(f"{label}: {heading}", view))
    rows = [s.row() for s in stats]
    table = render_table(rows, n)
    print()
    print(table)
    if args.html:
        sections.append(render_html_table(rows, n))
        args.html.write_text(render_html(f"polyseq tokenize --compare: {args.domain}", sections), encoding="utf-8")
        print(f"token view written to {args.html}", file=sys.stderr)
    return 0


def _chunks(records: Iterable[Record], max_bytes: int = 1_000_000) -> Iterator[tuple[list[Record], int | None]]:
    """Records in lists of about `max_bytes` for batch encoding, each with its samples' stored size
    (`polyseq.records.sample_size`, counted once here; None when a sample has no byte form, which
    then counts 1 towards `max_bytes`)."""
    from polyseq.records import sample_size

    chunk: list[Record] = []
    size, n_bytes = 0, 0
    for record in records:
        chunk.append(record)
        stored = sample_size(record.sample)
        size += 1 if stored is None else stored
        n_bytes = None if stored is None or n_bytes is None else n_bytes + stored
        if size >= max_bytes:
            yield chunk, n_bytes
            chunk, size, n_bytes = [], 0, 0
    if chunk:
        yield chunk, n_bytes
