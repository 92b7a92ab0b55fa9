"""Generation speed: KV cache against recomputing the whole sequence, and against HF GPT-2 `generate()`.

    OMP_NUM_THREADS=2 python -m benchmarks.generation [--new-tokens 256]

Same size as the training benchmark (4 layers, 4 heads, 256 dims, vocabulary of ~100 characters),
fp32 CPU, greedy decoding of exactly `--new-tokens` tokens (<eos> disallowed until then) after a
16-token prompt, batch 1 and 8. Runs alternate; best of `--rounds`; ratios within this process.
"""

from __future__ import annotations

import argparse
import time
import warnings

import torch

from benchmarks.plain_loop import lm_model
from polyseq.generation import SamplingConfig, generate


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--new-tokens", type=int, default=256)
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    warnings.filterwarnings("ignore")
    vocab, n = 110, args.new_tokens
    ours = lm_model(vocab, "transformer", d_model=256, n_layers=4, n_heads=4, dropout=0.0, context=512).eval()
    lstm = lm_model(vocab, "rnn", d_model=256, n_layers=2, dropout=0.0).eval()
    cfg = SamplingConfig(max_new_tokens=n, min_new_tokens=n, temperature=0)
    try:
        from transformers import GPT2Config, GPT2LMHeadModel

        hf = GPT2LMHeadModel(GPT2Config(vocab_size=vocab, n_positions=512, n_embd=256, n_layer=4, n_head=4,
                                        attn_implementation="sdpa")).eval()
    except ImportError:
        hf = None
    results: dict[str, float] = {}
    for batch in (1, 8):
        prompts = [[7 + (i * 13 + j) % 100 for j in range(16)] for i in range(batch)]
        prompt_tensor = torch.tensor(prompts)
        runs = {
            f"polyseq transformer, KV cache, batch {batch}": lambda: generate(ours, prompts, cfg),
            f"polyseq transformer, no cache, batch {batch}": lambda: generate(ours, prompts, cfg, use_cache=False),
            f"polyseq LSTM, carried state, batch {batch}": lambda: generate(lstm, prompts, cfg),
        }
        if hf is not None:
            runs[f"HF GPT-2 generate(), KV cache, batch {batch}"] = lambda: hf.generate(
                prompt_tensor, max_new_tokens=n, min_new_tokens=n, do_sample=False, pad_token_id=0)
        for _ in range(args.rounds):
            for name, fn in runs.items():
                with torch.no_grad():
                    results[name] = max(results.get(name, 0.0), batch * n / timed(fn))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {n} new tokens, best of {args.rounds}")
    print("| run | new tokens/s |\n|---|---|")
    for name, tps in results.items():
        print(f"| {name} | {tps:,.0f} |")
    for batch in (1, 8):
        cached = results[f"polyseq transformer, KV cache, batch {batch}"]
        print(f"\nbatch {batch}: KV cache / no cache = {cached / results[f'polyseq transformer, no cache, batch {batch}']:.2f}x")
        if hf is not None:
            print(f"batch {batch}: polyseq / HF GPT-2 generate() = {cached / results[f'HF GPT-2 generate(), KV cache, batch {batch}']:.2f}x")


if __name__ == "__main__":
    main()
