"""`polyseq estimate`: parameters, tokens, FLOPs, memory and time of a `polyseq fit` run, before it runs.

Takes exactly what `polyseq fit` takes (`polyseq estimate --config X.yaml --data.batch_size 64`, or
`polyseq estimate fit --config X.yaml`); the counting is `polyseq.estimate`'s, whose docstring states
every formula.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from polyseq.errors import ConfigError


DESCRIPTION = (
    "Build the run `polyseq fit FIT_ARGS` would train (same config and flags) and print its parameters, "
    "tokens per epoch (from the token cache, else a tokenized sample scaled by file size), steps, training "
    "FLOPs, activation and optimizer memory, and the time on CPU (this machine), A100, H100 and H200 at a "
    "stated MFU; on the CPU plus the overheads FLOPs do not see (per fit, batch, optimizer step, validation run "
    "and epoch), each printed on its own line. Nothing trains. FIT_ARGS: what `polyseq fit --help` lists (--config FILE, --data.*, "
    "--model.*, --trainer.*); the flags below may come anywhere among them."
)


def own_parser() -> argparse.ArgumentParser:
    """estimate's own flags, picked out of the fit arguments (`parse_known_args`)."""
    p = argparse.ArgumentParser(prog="polyseq estimate [fit] FIT_ARGS", description=DESCRIPTION, allow_abbrev=False)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    p.add_argument("--mfu", action="append", default=[], metavar="DEVICE=FRACTION",
                   help="model FLOPs utilisation assumed on DEVICE (cpu, A100, H100, H200), repeatable")
    p.add_argument("--cpu-flops", type=float, help="this CPU's peak FLOP/s (default: measured now, fp32 matmul)")
    p.add_argument("--sample-bytes", type=int, default=None,
                   help="without a token cache, tokenize at most this many bytes per training file and scale "
                   "(default 1 MiB)")
    return p


def add_parser(sub: Any) -> None:
    # every argument is the fit command line's: '+' as the prefix keeps argparse from reading `--config` here
    p = sub.add_parser("estimate", prefix_chars="+", add_help=False, description=DESCRIPTION,
                       help="the cost of a `polyseq fit` run before it starts: parameters, tokens, FLOPs, memory, time")
    p.add_argument("fit_args", nargs=argparse.REMAINDER, metavar="FIT_ARGS")
    p.set_defaults(run=run)


def _mfu(values: list[str]) -> dict[str, float]:
    from polyseq.estimate import DEVICES

    out, problems = {}, []
    for text in values:
        device, sep, value = text.partition("=")
        try:
            fraction = float(value) if sep else -1.0
        except ValueError:
            fraction = -1.0
        if device.strip() not in DEVICES:
            problems.append(f"--mfu {text!r}: no device {device.strip()!r}. Devices: {', '.join(DEVICES)}")
            continue
        if not 0 < fraction <= 1:
            problems.append(f"--mfu {text!r}: expected DEVICE=FRACTION with 0 < FRACTION <= 1 (e.g. --mfu A100=0.4)")
            continue
        out[device.strip()] = fraction
    if problems:
        raise ConfigError(problems)
    return out


def run(args: argparse.Namespace) -> int:
    from polyseq.cli import short_to_dotted
    from polyseq.estimate import SAMPLE_BYTES, estimate

    parser = own_parser()
    if {"-h", "--help"} & set(args.fit_args):
        parser.print_help()
        return 0
    args, fit_args = parser.parse_known_args(args.fit_args)
    if fit_args[:1] == ["fit"]:
        fit_args = fit_args[1:]
    if not fit_args:
        raise ConfigError("give what `polyseq fit` would take, e.g. polyseq estimate --config examples/configs/X.yaml")
    if args.cpu_flops is not None and not args.cpu_flops > 0:
        raise ConfigError(f"--cpu-flops must be > 0 (FLOP/s), got {args.cpu_flops}")
    if args.sample_bytes is not None and args.sample_bytes < 1:
        raise ConfigError(f"--sample-bytes must be >= 1, got {args.sample_bytes}")
    result = estimate(short_to_dotted(fit_args), mfu=_mfu(args.mfu), cpu_flops=args.cpu_flops,
                      sample_bytes=args.sample_bytes or SAMPLE_BYTES)
    print(json.dumps(result.to_dict(), indent=2) if args.json else format_table(result))
    return 0


def _si(x: float, unit: str = "") -> str:
    for factor, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= factor:
            return f"{x / factor:.3g} {prefix}{unit}"
    return f"{x:.3g} {unit}".rstrip()


def _bytes(n: float) -> str:
    for factor, name in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if n >= factor:
            return f"{n / factor:.3g} {name}"
    return f"{n:.0f} B"


def _duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.3g} ms"
    if seconds < 120:
        return f"{seconds:.3g} s"
    if seconds < 7200:
        return f"{seconds / 60:.3g} min"
    return f"{seconds / 3600:.3g} h"


def format_table(e: Any) -> str:
    non_embedding = e.parameters - e.embedding_parameters
    state = sum(e.state_bytes.values())
    rows = [
        ("parameters", f"{e.parameters:,} ({e.embedding_parameters:,} embedding, {non_embedding:,} other; "
                       f"{e.trainable_parameters:,} trainable)"),
        ("tokens per epoch", f"{e.tokens_per_epoch:,} in {e.sequences_per_epoch:,} sequences ({e.tokens_source})"),
        ("steps", f"{e.total_batches:,} batches = {e.epochs:.3g} epochs of {e.batches_per_epoch:,}; "
                  f"{e.optimizer_steps:,} optimizer steps"),
        ("tokens trained D", f"{e.tokens_trained:,} (real tokens read, padding excluded)"),
        ("training FLOPs", f"{_si(e.train_flops)} (6*N*D with N = non-embedding parameters: {_si(e.flops_6nd)})"),
        ("validation FLOPs", _si(e.eval_flops)),
        ("activations / batch", f"{_bytes(e.activation_bytes)} at {e.precision} (mean of the profiled batches)"),
        ("weights+grads+AdamW", f"{_bytes(state)} (" + ", ".join(f"{k} {_bytes(v)}" for k, v in e.state_bytes.items()) + ")"),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {v}" for k, v in rows]
    lines += ["", f"time for {_si(e.total_flops, 'FLOP')} = FLOPs / (peak * MFU), on the CPU plus the overheads FLOPs do not see:",
              f"  {'device':<6}  {'peak FLOP/s':>12}  {'MFU':>5}  {'time':>9}  peak"]
    for d in e.devices:
        mfu = f"{d['mfu']:.2g}" + ("" if d["mfu_source"] == "default" else "*")
        lines.append(f"  {d['device']:<6}  {_si(d['peak_flops']):>12}  {mfu:>5}  {_duration(d['seconds']):>9}  {d['peak']}")
        if d["overheads"]:
            lines.append(f"    {'compute':<25}  {_duration(d['compute_seconds']):>9}  FLOPs / (peak * MFU)")
            lines += [f"    {t['term']:<25}  {_duration(t['seconds']):>9}  {t['formula']}" for t in d["overheads"]]
    lines.append("  MFU: default assumptions (cpu: fitted with the CPU overheads by benchmarks/estimate.py --calibrate on "
                 "this machine; GPUs 0.35, which models this small rarely reach); * given by --mfu. CPU overheads: "
                 "measured on this machine (polyseq.estimate_time); GPU rows are compute only")
    lines += [f"note: {n}" for n in e.notes]
    return "\n".join(lines)
