"""GPU training throughput: `polyseq fit`'s loop (Lightning) against a plain PyTorch loop over the same
model on the same device, in bf16, with torch.compile off and on; tokens/s and model-FLOPs utilisation.

    timeout -k 60 1500 python -m benchmarks.gpu                      # one GPU: GPT-2 124M and an LSTM
    OMP_NUM_THREADS=2 python -m benchmarks.gpu --size tiny --device cpu --precision 32   # check the script

Models (`--size gpt2`): a GPT-2-small Transformer LM (12 layers, 12 heads, 768 dims, context 1024,
vocabulary 50,304 as nanoGPT pads it, learned positions, tied head: 124M parameters) and a 4-layer
LSTM LM of 1024 dims (vocabulary 50,304, tied head); batch 16 x 1024 tokens, random token ids (the
loss means nothing; the work per step is that of real data). `--size tiny` is a 2-layer, 64-dim
version with context 64 and vocabulary 256, for checking the script on a CPU; `--size cpu` is the
CPU comparison of BENCHMARKS.md (Transformer 4 x 256 dims, LSTM 2 x 256, context 256, batch 8).

For each backbone and compile setting the two loops alternate (Lightning first in odd repeats, plain
first in even ones) over `--repeats` runs each; each run times `--steps` steps after `--warmup`
untimed ones (compilation happens there); the tables give medians, and the median of each repeat's
Lightning/plain ratio (its two runs are neighbours in time: the better figure on a shared machine). A run reuses the model of the
previous one (compiled once). MFU = FLOPs per token (`polyseq.training.callbacks.flops_per_token`:
6N + 12 L C T as in nanoGPT) x tokens/s / the device's peak (`device_peak_flops`: bf16 dense
tensor-core figure of A100/H100/H200, or $POLYSEQ_PEAK_FLOPS); "-" when the peak is unknown (CPU).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
import warnings
from collections.abc import Iterator

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, IterableDataset

from benchmarks.plain_loop import lm_model, train_plain
from polyseq.training.callbacks import Throughput, device_peak_flops, flops_per_token
from polyseq.training.module import compile_backbones

SIZES = {  # backbone -> model options, per --size
    "gpt2": {"transformer": dict(d_model=768, n_layers=12, n_heads=12),
             "rnn": dict(d_model=1024, n_layers=4, n_heads=None)},
    "cpu": {"transformer": dict(d_model=256, n_layers=4, n_heads=4),  # BENCHMARKS.md "Training throughput"
            "rnn": dict(d_model=256, n_layers=2, n_heads=None)},
    "tiny": {"transformer": dict(d_model=64, n_layers=2, n_heads=2),
             "rnn": dict(d_model=64, n_layers=2, n_heads=None)},
}
SHAPES = {"gpt2": dict(vocab=50304, context=1024, batch=16), "cpu": dict(vocab=256, context=256, batch=8),
          "tiny": dict(vocab=256, context=64, batch=8)}


def random_batches(vocab: int, context: int, batch: int, n: int = 8, seed: int = 0) -> list[torch.Tensor]:
    """`n` blocks of random ids (pinned when CUDA is there), cycled by every run: no data cost in the timing."""
    g = torch.Generator().manual_seed(seed)
    blocks = [torch.randint(1, vocab, (batch, context + 1), generator=g) for _ in range(n)]
    return [b.pin_memory() for b in blocks] if torch.cuda.is_available() else blocks


def cycle(blocks: list[torch.Tensor]) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    while True:
        for b in blocks:
            yield b[:, :-1], b[:, 1:]


class Blocks(IterableDataset):
    def __init__(self, blocks: list[torch.Tensor], steps: int):
        self.blocks, self.steps = blocks, steps

    def __iter__(self):
        it = cycle(self.blocks)
        for _ in range(self.steps):
            x, y = next(it)
            yield {"input_ids": x, "labels": y}


class Timer(pl.Callback):
    """Clock from the start of batch `warmup` to the end of the last batch, CUDA synchronised at both."""

    def __init__(self, warmup: int, steps: int, device: str):
        self.warmup, self.steps, self.device = warmup, steps, device
        self.start = self.seconds = 0.0

    def _now(self) -> float:
        if torch.device(self.device).type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter()

    def on_train_batch_start(self, trainer, module, batch, batch_idx):
        if batch_idx == self.warmup:
            self.start = self._now()

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        if batch_idx == self.steps - 1:
            self.seconds = self._now() - self.start


def lightning_tokens_per_s(model, blocks, args) -> float:
    """`polyseq fit`'s loop: its Trainer settings (gradient clipping 1.0, the Throughput callback)
    without the progress bar, logger and checkpoint file (nothing to write in a benchmark)."""
    timer = Timer(args.warmup, args.steps, args.device)
    trainer = pl.Trainer(accelerator=torch.device(args.device).type, devices=1, precision=args.precision,
                         max_steps=args.steps, gradient_clip_val=1.0, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, limit_val_batches=0,
                         callbacks=[Throughput(), timer])
    loader = DataLoader(Blocks(blocks, args.steps), batch_size=None, pin_memory=torch.cuda.is_available())
    trainer.fit(model, train_dataloaders=loader)
    x = blocks[0][:, :-1]
    return (args.steps - args.warmup) * x.numel() / timer.seconds


def plain_tokens_per_s(model, blocks, args) -> float:
    result = train_plain(model, cycle(blocks), args.steps, warmup=args.warmup, device=args.device,
                         bf16=args.precision == "bf16-mixed")
    return result["tokens_per_s"]


def measure(backbone: str, compiled: bool, args) -> dict[str, float]:
    shape = SHAPES[args.size]
    torch.manual_seed(0)
    model = lm_model(shape["vocab"], backbone, dropout=0.0, context=shape["context"], **SIZES[args.size][backbone])
    model.to(args.device)
    if compiled:  # in place, once: both loops run the same compiled backbone
        compile_backbones(model, {"backend": args.backend} if args.backend else None)
    blocks = random_batches(shape["vocab"], shape["context"], shape["batch"])
    loops = {"lightning": lightning_tokens_per_s, "plain": plain_tokens_per_s}
    runs: dict[str, list[float]] = {name: [] for name in loops}
    for r in range(args.repeats):
        for name in (("lightning", "plain") if r % 2 == 0 else ("plain", "lightning")):
            runs[name].append(loops[name](model, blocks, args))
            print(f"  {backbone} compile={compiled} repeat {r + 1} {name}: {runs[name][-1]:,.0f} tokens/s",
                  file=sys.stderr, flush=True)
    peak = device_peak_flops(args.device)
    flops = flops_per_token(model, shape["context"])
    out = {"params": sum(p.numel() for p in model.parameters()), "flops_per_token": flops}
    # each repeat's two runs are neighbours in time: their ratio is less hurt by a load drifting over minutes
    out["pair_ratio"] = statistics.median(a / b for a, b in zip(runs["lightning"], runs["plain"], strict=True))
    for name, values in runs.items():
        out[name] = statistics.median(values)
        out[f"{name}_spread"] = (max(values) - min(values)) / statistics.median(values)
        out[f"{name}_mfu"] = flops * out[name] / peak if peak else float("nan")
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", choices=sorted(SIZES), default="gpt2")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--precision", default="bf16-mixed", choices=["bf16-mixed", "32"])
    p.add_argument("--backbones", nargs="+", default=["transformer", "rnn"], choices=["transformer", "rnn"])
    p.add_argument("--compile", nargs="+", default=["off", "on"], choices=["off", "on"])
    p.add_argument("--backend", default=None, help="torch.compile backend (default inductor)")
    p.add_argument("--steps", type=int, default=30, help="steps per run, warm-up included")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps at the start of each run")
    p.add_argument("--repeats", type=int, default=3, help="runs per loop (alternating), medians reported")
    args = p.parse_args()
    if args.steps <= args.warmup:
        p.error("--steps must be larger than --warmup")
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    name = torch.cuda.get_device_name(args.device) if torch.device(args.device).type == "cuda" else "CPU"
    shape = SHAPES[args.size]
    print(f"torch {torch.__version__}, pytorch_lightning {pl.__version__}, {name}, {torch.get_num_threads()} CPU threads; "
          f"size {args.size} (batch {shape['batch']} x {shape['context']} tokens), precision {args.precision}, "
          f"{args.steps} steps ({args.warmup} untimed) x {args.repeats} repeats per loop")
    print("| backbone | params | compile | polyseq fit tokens/s | plain loop tokens/s | Lightning / plain | "
          "median of per-repeat ratios | MFU fit | MFU plain | spread fit / plain |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for backbone in args.backbones:
        for setting in args.compile:
            r = measure(backbone, setting == "on", args)
            mfu = [f"{r[k]:.1%}" if r[k] == r[k] else "-" for k in ("lightning_mfu", "plain_mfu")]
            print(f"| {backbone} | {r['params'] / 1e6:.1f}M | {setting} | {r['lightning']:,.0f} | {r['plain']:,.0f} | "
                  f"{r['lightning'] / r['plain']:.3f} | {r['pair_ratio']:.3f} | {mfu[0]} | {mfu[1]} | "
                  f"{r['lightning_spread']:.0%} / {r['plain_spread']:.0%} |", flush=True)


if __name__ == "__main__":
    main()
