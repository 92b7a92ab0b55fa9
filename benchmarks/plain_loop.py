"""A plain-PyTorch training loop over polyseq's own model: the speed reference for `polyseq fit`,
and the proof that the model code does not need Lightning.

    python benchmarks/plain_loop.py --steps 200        # char LM on Python's bundled documentation

It builds the same `SequenceModel` network that `polyseq fit` trains (backbone + tied LM head),
feeds it the same blocks, computes the same loss (the task's `step`), clips gradients at norm 1.0 and
steps AdamW with the same warmup + cosine schedule, with no Trainer. `benchmarks/train_throughput.py`
(CPU) and `benchmarks/gpu.py` (GPU: bf16, torch.compile) time it against `polyseq fit`'s loop.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn

from polyseq.training.optim import build_adamw, warmup_cosine


def offline_text() -> str:
    """Python's own documentation (pydoc_data ships with CPython): about 800 kB of English and code."""
    from pydoc_data.topics import topics

    return "\n".join(topics[k] for k in sorted(topics))


def char_blocks(text: str, context: int, batch_size: int, seed: int = 0) -> tuple[int, Iterator[tuple[torch.Tensor, torch.Tensor]]]:
    """(vocab size, endless iterator of (inputs, labels) batches) from a text, with polyseq's char tokenizer."""
    from polyseq.tokenizers.char import CharTokenizer

    tok = CharTokenizer()
    tok.train([text])
    ids = torch.tensor(tok.encode(text), dtype=torch.long)
    g = torch.Generator().manual_seed(seed)

    def batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        while True:
            starts = torch.randint(0, len(ids) - context - 1, (batch_size,), generator=g)
            block = torch.stack([ids[s : s + context + 1] for s in starts.tolist()])
            yield block[:, :-1], block[:, 1:]

    return tok.vocab_size, batches()


def lm_model(vocab_size: int, backbone: str = "transformer", **options) -> nn.Module:
    """The network `polyseq fit --data.task lm` trains (a SequenceModel is a plain nn.Module too)."""
    from polyseq.training.module import SequenceModel

    info = {"task": "lm", "vocab_size": vocab_size, "max_length": options.pop("context", 256)}
    return SequenceModel(backbone=backbone, data_info=info, **options)


def train_plain(
    model: nn.Module,
    batches: Iterator[tuple[torch.Tensor, torch.Tensor]],
    steps: int,
    lr: float = 1e-3,
    warmup: int = 5,
    logits_of=None,
    device: str = "cpu",
    bf16: bool = False,
) -> dict[str, float]:
    """Train for `steps`; return tokens/s over the steps after `warmup` and the last losses.

    A `SequenceModel` computes its loss as `polyseq fit` does (`model.task.step`: backbone, LM head,
    fp32 cross-entropy); any other model gives logits through `logits_of(model, x)`. `bf16`: autocast
    the forward pass and the loss to bfloat16, as Lightning's `precision="bf16-mixed"` does. CUDA is
    synchronised when the clock starts and stops, never in between.
    """
    model.to(device).train()
    optimizer = build_adamw(model, lr=lr, weight_decay=0.1, device_type=torch.device(device).type)
    scheduler = warmup_cosine(optimizer, warmup_steps=max(1, steps // 10), total_steps=steps)
    task = getattr(model, "task", None)
    losses, tokens, start = [], 0, 0.0
    for step in range(steps):
        if step == warmup:
            start, tokens = _clock(device), 0
        x, y = next(batches)
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        with torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=bf16):
            if logits_of is None and task is not None:
                loss = task.step(model, {"input_ids": x, "labels": y}, "train")[0]
            else:
                logits = (logits_of or (lambda m, i: m(i)))(model, x)
                loss = F.cross_entropy(logits.flatten(0, 1).float(), y.flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        tokens += x.numel()
        losses.append(loss.detach())
    elapsed = _clock(device) - start
    last = torch.stack(losses[-10:]).float().mean().item()
    return {"tokens_per_s": tokens / elapsed, "loss": last}


def _clock(device: str) -> float:
    """perf_counter once the device has finished the work queued so far."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--context", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=12)
    p.add_argument("--backbone", default="transformer", choices=["transformer", "rnn"])
    args = p.parse_args()
    torch.manual_seed(0)
    vocab, batches = char_blocks(offline_text(), args.context, args.batch_size)
    model = lm_model(vocab, args.backbone, d_model=128, n_layers=4, n_heads=4, dropout=0.0, context=args.context)
    result = train_plain(model, batches, args.steps)
    print(f"{args.backbone}: {result['tokens_per_s']:.0f} tokens/s, final loss {result['loss']:.3f} nats/char "
          f"({result['loss'] / math.log(2):.3f} bits/char)")


if __name__ == "__main__":
    main()
