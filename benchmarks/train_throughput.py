"""Training throughput: polyseq's loop (Lightning) against a plain PyTorch loop over the same model,
against Hugging Face GPT-2 of the same size, and the polyseq LSTM against a plain `nn.LSTM`.

    OMP_NUM_THREADS=2 python benchmarks/train_throughput.py [--steps 40] [--rounds 2]

Transformer: 4 layers, 4 heads, 256 dims, context 256, batch 8, fp32, CPU. Every run sees batches
from the same generator; the first 5 steps of each run are not timed; runs alternate over
`--rounds` and the best round counts. Ratios are taken within this one process.
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings

import pytorch_lightning as pl
import torch
from torch import nn
from torch.utils.data import DataLoader, IterableDataset

from benchmarks.plain_loop import char_blocks, lm_model, offline_text, train_plain

WARMUP = 5


class Batches(IterableDataset):
    def __init__(self, batches):
        self.batches = batches

    def __iter__(self):
        for x, y in self.batches:
            yield {"input_ids": x, "labels": y}


class Timer(pl.Callback):
    def __init__(self):
        self.start, self.tokens = None, 0

    def on_train_batch_start(self, trainer, module, batch, batch_idx):
        if batch_idx == WARMUP:
            self.start, self.tokens = time.perf_counter(), 0

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        if batch_idx >= WARMUP:
            self.tokens += batch["input_ids"].numel()
            self.elapsed = time.perf_counter() - self.start


def lightning_run(model: nn.Module, batches, steps: int) -> float:
    timer = Timer()
    trainer = pl.Trainer(accelerator="cpu", max_steps=steps, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, callbacks=[timer],
                         gradient_clip_val=1.0, limit_val_batches=0)
    trainer.fit(model, train_dataloaders=DataLoader(Batches(batches), batch_size=None))
    return timer.tokens / timer.elapsed


class PlainLSTM(nn.Module):
    """Embedding -> nn.LSTM -> tied projection: what a PyTorch user writes by hand."""

    def __init__(self, vocab: int, d: int, layers: int):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.lstm = nn.LSTM(d, d, layers, batch_first=True)

    def forward(self, x):
        return self.lstm(self.emb(x))[0] @ self.emb.weight.T


def gpt2(vocab: int, d: int, layers: int, heads: int, context: int) -> nn.Module | None:
    try:
        from transformers import GPT2Config, GPT2LMHeadModel
    except ImportError:
        return None
    cfg = GPT2Config(vocab_size=vocab, n_positions=context, n_embd=d, n_layer=layers, n_head=heads,
                     resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, attn_implementation="sdpa")
    return GPT2LMHeadModel(cfg)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--context", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=8)
    args = p.parse_args()
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    text = offline_text()
    vocab, _ = char_blocks(text, args.context, args.batch_size)
    d, layers, heads = 256, 4, 4

    def fresh(seed=0):
        return char_blocks(text, args.context, args.batch_size, seed)[1]

    def polyseq_tf():
        torch.manual_seed(0)
        return lm_model(vocab, "transformer", d_model=d, n_layers=layers, n_heads=heads, dropout=0.0, context=args.context)

    def polyseq_rnn():
        torch.manual_seed(0)
        return lm_model(vocab, "rnn", d_model=d, n_layers=2, dropout=0.0, context=args.context)

    runs = {
        "transformer: polyseq fit loop (Lightning)": lambda: lightning_run(polyseq_tf(), fresh(), args.steps),
        "transformer: plain PyTorch loop": lambda: train_plain(polyseq_tf(), fresh(), args.steps)["tokens_per_s"],
        "transformer: HF GPT-2, plain loop": lambda: train_plain(
            gpt2(vocab, d, layers, heads, args.context), fresh(), args.steps, logits_of=lambda m, x: m(input_ids=x).logits
        )["tokens_per_s"],
        "lstm: polyseq fit loop (Lightning)": lambda: lightning_run(polyseq_rnn(), fresh(), args.steps),
        "lstm: plain PyTorch loop": lambda: train_plain(polyseq_rnn(), fresh(), args.steps)["tokens_per_s"],
        "lstm: plain nn.LSTM, plain loop": lambda: train_plain(PlainLSTM(vocab, d, 2), fresh(), args.steps)["tokens_per_s"],
    }
    if gpt2(vocab, d, layers, heads, args.context) is None:
        del runs["transformer: HF GPT-2, plain loop"]
    best: dict[str, float] = {}
    for _ in range(args.rounds):
        for name, run in runs.items():
            best[name] = max(best.get(name, 0.0), run())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, steps {args.steps}, rounds {args.rounds}")
    print("| run | tokens/s |\n|---|---|")
    for name, tps in best.items():
        print(f"| {name} | {tps:,.0f} |")

    def ratio(a: str, b: str) -> str:
        return f"{best[a] / best[b]:.3f}" if a in best and b in best else "n/a"

    print(f"\nLightning / plain (transformer): {ratio('transformer: polyseq fit loop (Lightning)', 'transformer: plain PyTorch loop')}")
    print(f"polyseq / HF GPT-2 (plain loops): {ratio('transformer: plain PyTorch loop', 'transformer: HF GPT-2, plain loop')}")
    print(f"Lightning / plain (lstm): {ratio('lstm: polyseq fit loop (Lightning)', 'lstm: plain PyTorch loop')}")
    print(f"polyseq LSTM / plain nn.LSTM: {ratio('lstm: plain PyTorch loop', 'lstm: plain nn.LSTM, plain loop')}")


if __name__ == "__main__":
    main()
