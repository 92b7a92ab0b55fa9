"""`polyseq baseline NAME --data.* ...`: fit a baseline like `fit`, write predictions like `predict`.

The data options are `polyseq fit`'s (`--data.dataset esol --data.split scaffold`, `--data.train
FILE --data.domain dna --data.task classify --data.target label`, or `--config fit.yaml`, whose
`data:` section is read), so the baseline sees the records a neural run sees, split the same way.
It prints the val and test metrics under the task's names, writes `baseline.json` (its
configuration, the data options and the metrics) and a predictions CSV with `polyseq predict`'s
columns: for the test split (the val split when there is no test split), or for `--input FILE`.

Nothing fitted is saved (no pickle): a baseline refits in seconds, on every call.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

from polyseq.errors import ConfigError

EPILOG = """examples:
  polyseq baseline kmer_logreg --data.dataset splice_junction
  polyseq baseline morgan_rf --data.dataset esol --data.split scaffold --out esol_rf.csv
  polyseq baseline ngram_lm --data.domain text --data.train corpus.txt --data.task lm -b order=6
  polyseq baseline majority --config examples/configs/dna_promoters.yaml
`polyseq plugins` lists the baselines and what each reads."""


def add_parser(sub: Any) -> None:
    p = sub.add_parser("baseline", help="fit a classical baseline (majority, n-gram LM, fingerprints + random forest, "
                       "k-mer / TF-IDF linear models) on fit's data options; write its metrics and predictions",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog=_option_parser().format_help().replace("usage: ", "these options, after NAME:\n  ", 1) + "\n" + EPILOG)
    p.add_argument("name", help="a registered baseline (`polyseq plugins` lists them)")
    p.add_argument("data_options", nargs=argparse.REMAINDER, metavar="--data.KEY VALUE",
                   help="`polyseq fit`'s data options (--data.KEY=VALUE or --data.KEY VALUE, values read as YAML), "
                   "and the options below, in any order")
    p.set_defaults(run=run)


def _option_parser() -> argparse.ArgumentParser:
    from polyseq.cli import add_option_arguments

    p = argparse.ArgumentParser(prog="polyseq baseline NAME [--data.KEY VALUE ...]", add_help=False)
    p.add_argument("--config", help="a `polyseq fit` YAML config: its data section (the command line wins)")
    p.add_argument("--out", type=Path, help="predictions CSV (default: <output-dir>/predictions.csv)")
    p.add_argument("--output-dir", type=Path, default=Path("runs/baseline"), help="where baseline.json goes")
    p.add_argument("--input", type=Path, help="predict these records instead of the test split")
    p.add_argument("--seed", type=int, default=0, help="the baseline's own randomness (random forests)")
    p.add_argument("-b", "--baseline-option", dest="baseline_options", action="append", default=[],
                   metavar="KEY=VALUE", help="an option of the baseline (e.g. -b order=6), value read as YAML")
    add_option_arguments(p, "tokenizer")
    add_option_arguments(p, "reader")
    return p


def data_keys(args: list[str], config: dict[str, Any]) -> dict[str, Any]:
    """`--data.KEY VALUE` / `--data.KEY=VALUE` (YAML values) over the config's data section."""
    import yaml

    data = dict(config)
    items, problems = iter(args), []
    for arg in items:
        if not arg.startswith("--data."):
            problems.append(f"{arg!r}: expected --data.KEY VALUE or an option of `polyseq baseline` (see --help)")
            continue
        key, sep, text = arg[len("--data."):].partition("=")
        if not sep:
            text = next(items, None)
            if text is None:
                problems.append(f"--data.{key}: needs a value")
                continue
        try:
            data[key] = yaml.safe_load(text) if text != "" else ""
        except yaml.YAMLError:
            data[key] = text
    if problems:
        raise ConfigError(problems)
    return data


def _config_data(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    import yaml

    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"--config {path}: no such file") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"--config {path}: not valid YAML ({str(e).splitlines()[0]})") from None
    data = raw.get("data") if isinstance(raw, dict) else None
    if not isinstance(data, dict):
        raise ConfigError(f"--config {path}: no `data:` section (a `polyseq fit` config has one)")
    return dict(data.get("init_args", data))


def run(args: argparse.Namespace) -> int:
    from polyseq.baselines.run import data_module, fit_on, make_baseline, prediction_columns, read_records, score
    from polyseq.cli import options_from, parse_options
    from polyseq.cli.predict_cmd import _row

    opts, rest = _option_parser().parse_known_args(args.data_options)
    data = data_keys(rest, _config_data(opts.config))
    for kind, key in (("tokenizer", "tokenizer_options"), ("reader", "reader_options")):
        if given := options_from(opts, kind):
            data[key] = {**(data.get(key) or {}), **given}
    baseline = make_baseline(args.name, parse_options(opts.baseline_options), seed=opts.seed, where=" (polyseq baseline NAME)")
    dm = data_module(data)
    fitted = fit_on(dm, baseline)
    metrics = {f"{split}/{k}": v for split in ("val", "test") if split in fitted.records
               for k, v in score(fitted, split).items()}
    for key, value in metrics.items():
        print(f"{key}\t{value:.6g}")
    out_dir = opts.output_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = {"baseline": baseline.config(), "data": data, "task": fitted.task.name, "domain": dm.domain_name,
               "split_sizes": fitted.split_sizes, "train_time_s": round(fitted.train_s, 3), "metrics": metrics,
               "note": "nothing fitted is saved: `polyseq baseline` refits on every call"}
    (out_dir / "baseline.json").write_text(json.dumps(summary, indent=1, default=str), encoding="utf-8")
    if fitted.output == "bits":
        print(f"wrote {out_dir / 'baseline.json'} (an lm baseline has no per-record predictions)", file=sys.stderr)
        return 0
    records = read_records(dm, opts.input) if opts.input else fitted.records.get("test") or fitted.records["val"]
    rows = [_row(r, v) for r, v in zip(records, prediction_columns(fitted, [r.sample for r in records]), strict=True)]
    out = opts.out or out_dir / "predictions.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["id"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} predictions written to {out}; {out_dir / 'baseline.json'}", file=sys.stderr)
    return 0
