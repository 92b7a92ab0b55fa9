"""`polyseq generate --ckpt X -n N --out PATH`: samples in the domain's own format, with its metrics.

The loop is `polyseq.training.inference` (Lightning's Trainer.predict): --trainer.* flags as in fit.
Inputs are cut into --batch-size chunks and chunk k samples with seed `--seed + its first index`, so
the samples do not depend on how many devices share the chunks.

`--explain [K]` shows, instead of writing samples, each step's top-K next tokens with the sampler's
and the model's probabilities (`polyseq.views.explain`): a table on stdout, or JSONL with --out;
`--plot FILE.png` draws the first --plot-steps steps of the first sample as bar charts.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from polyseq.cli import options_from
from polyseq.cli.checkpoint import add_inference_arguments
from polyseq.errors import ConfigError


def add_parser(sub: Any) -> None:
    p = sub.add_parser("generate", help="sample from a generating checkpoint (lm, seq2seq); write files; print domain metrics")
    p.add_argument("--ckpt", required=True, help="a checkpoint of `polyseq fit --data.task lm` (or seq2seq with --input)")
    p.add_argument("-n", "--num-samples", type=int, default=10, help="lm: how many samples (seq2seq: one per input record)")
    prompt = p.add_mutually_exclusive_group()
    prompt.add_argument("--input", type=Path, help="seq2seq: map every record of this file (read with the source domain's reader)")
    prompt.add_argument("--prompt", help="a sample prefix in the domain's text form (a SMILES prefix, a DNA primer)")
    prompt.add_argument("--prompt-file", type=Path, help="a file whose first record is the prompt (e.g. the first bars of a .mid)")
    p.add_argument("--max-new-tokens", type=int, default=256)
    p.add_argument("--min-new-tokens", type=int, default=0, help="no <eos> before this many new tokens")
    p.add_argument("--temperature", type=float, default=1.0, help="0: greedy")
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--top-p", type=float, default=None)
    p.add_argument("--repetition-penalty", type=float, default=1.0)
    p.add_argument("--beam-size", type=int, default=1, help="seq2seq: beam search width (1: greedy or sampling)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reference", type=Path, help="training data, for novelty and distribution metrics")
    p.add_argument("--out", type=Path, help="where the domain's writer puts the samples (with --explain: the JSONL of steps)")
    p.add_argument("--metrics-out", type=Path, help="JSON with the metrics (default: <out>.metrics.json)")
    p.add_argument("--explain", nargs="?", const=5, type=int, metavar="K",
                   help="lm: show each step's top K (default 5) next tokens with their probabilities instead of "
                        "writing samples: a table, or one JSON object per step in --out")
    p.add_argument("--plot", type=Path, metavar="FILE.png", help="lm: bar charts of the first steps' next-token choices")
    p.add_argument("--plot-steps", type=int, default=8, help="how many steps --plot draws (default 8)")
    add_inference_arguments(p, batch_size=16)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from polyseq import get_domain
    from polyseq.cli.checkpoint import make_trainer, open_checkpoint, read_input
    from polyseq.generation import SamplingConfig
    from polyseq.training import inference

    if args.num_samples < 1 or args.batch_size < 1 or args.beam_size < 1:
        raise ConfigError("-n, --batch-size and --beam-size must be >= 1")
    if not math.isfinite(args.temperature) or args.temperature < 0:
        raise ConfigError(f"--temperature must be a finite number >= 0 (0: greedy), got {args.temperature}")
    explaining = args.explain is not None or args.plot is not None
    if args.out is None and not explaining:
        raise ConfigError("--out is required: where the domain's writer puts the samples (or give --explain to see "
                          "next-token choices)")
    if explaining and (args.explain is not None and args.explain < 1 or args.plot_steps < 1):
        raise ConfigError(f"--explain K and --plot-steps must be >= 1, got {args.explain} and {args.plot_steps}")
    from polyseq.views import check_image_path

    check_image_path(args.plot, "--plot")
    cfg = SamplingConfig(args.max_new_tokens, args.temperature, args.top_k, args.top_p, args.repetition_penalty,
                         args.seed, args.min_new_tokens)
    trainer = make_trainer(args)
    loaded = open_checkpoint(args.ckpt)
    model, task, domain = loaded.model, loaded.model.task, loaded.domain
    wanted = "input" if args.input is not None else "prompt"
    if task.generates != wanted:
        if task.generates is None:
            raise ConfigError(f"{args.ckpt}: a {task.name!r} model cannot generate; train one with --data.task lm or seq2seq")
        how = "give --input FILE (it maps input records)" if task.generates == "input" else "drop --input (it continues prompts)"
        raise ConfigError(f"{args.ckpt}: a {task.name!r} model generates from {task.generates}s: {how}")
    if args.reader_option and args.input is None and args.prompt_file is None:
        raise ConfigError("-r/--data.reader_options apply to --input or --prompt-file")
    quiet = not inference.is_main_process()
    inputs = ([r.sample for r in read_input(domain, args.input, "generate", args, quiet=quiet)] if args.input is not None
              else [prompt_of(args, domain)] * args.num_samples)
    if args.prompt is not None:
        check_prompt(args.prompt, inputs[0], loaded.tokenizer)
    if explaining:
        if task.generates != "prompt":
            raise ConfigError(f"{args.ckpt}: --explain and --plot show the steps of prompt generation (--data.task lm); "
                              f"a {task.name!r} model's decoding has no step view yet")
        return run_explain(args, trainer, model, inputs, cfg)

    def step(model: Any, chunk: list[Any], start: int) -> list[Any]:
        options = {"sampling": SamplingConfig(**{**cfg.__dict__, "seed": cfg.seed + start}), "beam_size": args.beam_size}
        return task.generate(model, chunk, options)

    chunks = inference.run(trainer, model, len(inputs), args.batch_size, lambda start, stop: inputs[start:stop], step,
                           tensors=False)
    if not trainer.is_global_zero:
        return 0
    samples = inference.flatten(chunks)
    out_domain = get_domain(loaded.info.output_domain)
    written = out_domain.part("writer")(samples, args.out) if out_domain.writer else _write_text(samples, args.out)
    metrics = sample_metrics(out_domain, samples, args.reference)
    metrics_out = args.metrics_out or Path(str(args.out) + ".metrics.json")
    metrics_out.write_text(json.dumps({"checkpoint": str(args.ckpt), "n": len(samples), "sampling": cfg.__dict__,
                                       "beam_size": args.beam_size, "metrics": metrics}, indent=2))
    print(json.dumps(metrics, indent=2))
    print(f"{len(samples)} samples written to {', '.join(map(str, written[:3]))}{' ...' if len(written) > 3 else ''}; "
          f"metrics in {metrics_out}", file=sys.stderr)
    return 0


def run_explain(args: argparse.Namespace, trainer: Any, model: Any, inputs: list[Any], cfg: Any) -> int:
    """--explain / --plot: the same sampling, chunks and seeds as writing samples; each step recorded."""
    from polyseq.generation import SamplingConfig
    from polyseq.training import inference
    from polyseq.views import explain as view

    k = args.explain or 5

    def step(model: Any, chunk: list[Any], start: int) -> list[Any]:
        return [view.explain(model, chunk, SamplingConfig(**{**cfg.__dict__, "seed": cfg.seed + start}), k, start)]

    chunks = inference.run(trainer, model, len(inputs), args.batch_size, lambda start, stop: inputs[start:stop], step,
                           tensors=False)
    if not trainer.is_global_zero:
        return 0
    explanation, *rest = inference.flatten(chunks)
    for part in rest:
        explanation.extend(part)
    if args.out is not None:
        view.write_jsonl(explanation, args.out)
        print(f"{len(explanation.steps)} steps of {len(explanation.samples)} sample(s) written to {args.out}", file=sys.stderr)
    elif args.explain is not None:
        print(view.format_table(explanation))
    if args.plot is not None:
        drawn = min(args.plot_steps, len(explanation.of_sample(0)))
        view.plot(explanation, args.plot, steps=args.plot_steps)
        print(f"the first {drawn} steps of sample 0 drawn in {args.plot}", file=sys.stderr)
    return 0


def prompt_of(args: argparse.Namespace, domain: Any) -> Any:
    """The prompt sample (None: no prompt)."""
    if args.prompt is not None:
        return domain.parse_text(args.prompt)
    if args.prompt_file is not None:
        first = next(iter(domain.read(args.prompt_file, **options_from(args, "reader"))), None)
        if first is None:
            raise ConfigError(f"{args.prompt_file}: no usable record to prompt with")
        return first.sample
    return None


def check_prompt(text: str, sample: Any, tokenizer: Any) -> None:
    """A --prompt with symbols the tokenizer maps to <unk> is an error naming them (the model
    would continue a prompt it never saw)."""
    from polyseq.data.unknown import unknown_symbols
    from polyseq.tokenizers.base import UNK_ID

    ids = list(tokenizer.encode(sample))
    if UNK_ID in ids:
        symbols = unknown_symbols(tokenizer, [sample], [ids], limit=10)
        shown = ", ".join(repr(c) for c in symbols) if symbols else "some of its symbols"
        raise ConfigError(f"--prompt {text!r}: {shown} not in the checkpoint's vocabulary (they would become <unk>); "
                          "remove them or train on data that has them")


def sample_metrics(domain: Any, samples: list[Any], reference_path: Path | None) -> dict[str, float]:
    if domain.metrics is None:
        return {}
    reference = [r.sample for r in domain.read(reference_path)] if reference_path else None
    return {k: float(v) for k, v in domain.part("metrics")(samples, reference).items()}


def _write_text(samples: list[Any], path: Path) -> list[Path]:
    path.write_text("".join(f"{s}\n" for s in samples), encoding="utf-8")
    return [path]
