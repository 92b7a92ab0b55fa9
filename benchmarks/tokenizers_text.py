"""Encode throughput of the text and latex tokenizers, and the polyseq wrapper's overhead.

For each tokenizer: MB/s of `encode_batch` over a corpus (UTF-8 bytes in / seconds), best of
`--repeats` runs. The overhead is measured against a reference in the same run, alternating the
two so both see the same machine state:
  - text bpe / wordpiece / unigram / word: HF `tokenizers` called directly
    (`hf.encode_batch_fast(texts, add_special_tokens=False)` -> ids), the call the wrapper makes;
  - latex: the bare lexer (`lex`, a regex) - the overhead is the vocabulary lookup;
  - text char: no reference (the core's pure-Python CharTokenizer).

Data: Tiny Shakespeare and im2latex formulas from POLYSEQ_DATA_MIRROR (../shared/data here);
without a mirror, Python's own module docstrings and formulas built from the latex examples.

    OMP_NUM_THREADS=1 python benchmarks/tokenizers_text.py [--repeats 5] [--write]

`--write` writes benchmarks/results/text.md and latex.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import pydoc
import sys
import time
from collections.abc import Callable
from pathlib import Path

import polyseq

RESULTS = Path(__file__).parent / "results"


def text_corpus() -> tuple[list[str], str]:
    mirror = os.environ.get("POLYSEQ_DATA_MIRROR")
    path = Path(mirror or "/nonexistent") / "text/tinyshakespeare/input.txt"
    if path.is_file():
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line], "Tiny Shakespeare, non-empty lines"
    import json
    import textwrap
    docs = [pydoc.getdoc(m) for m in (json, textwrap, os, argparse, platform, time)]
    return [line for d in docs for line in d.splitlines() if line] * 20, "stdlib module docstrings (no mirror)"


def latex_corpus() -> tuple[list[str], str]:
    mirror = os.environ.get("POLYSEQ_DATA_MIRROR")
    path = Path(mirror or "/nonexistent") / "latex/im2latex_validate/formulas.lst"
    if path.is_file():
        return path.read_text(encoding="utf-8").splitlines(), "im2latex-100k validation formulas"
    from polyseq_latex.io import EXAMPLES

    return list(EXAMPLES) * 2000, "latex domain examples x2000 (no mirror)"


def best_time(fn: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def paired(fn: Callable[[list], object], ref: Callable[[list], object], items: list, repeats: int) -> tuple[float, float]:
    """Seconds for `fn(items)` and `ref(items)`: each is timed on chunks of ~2,000 items, the two
    alternating chunk by chunk, best of `repeats` passes per chunk; short alternating trials keep
    a shared, busy machine from favouring one side."""
    chunks = [items[i : i + 2000] for i in range(0, len(items), 2000)]
    a = b = 0.0
    for chunk in chunks:
        ta = tb = float("inf")
        for _ in range(repeats):
            ta = min(ta, best_time(lambda: fn(chunk), 1))
            tb = min(tb, best_time(lambda: ref(chunk), 1))
        a, b = a + ta, b + tb
    return a, b


def run(repeats: int) -> dict[str, list[dict]]:
    from polyseq_latex.tokenizers import lex

    out: dict[str, list[dict]] = {"text": [], "latex": []}
    texts, text_name = text_corpus()
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    train = texts[: len(texts) // 2]
    domain = polyseq.get_domain("text")
    for name, options in [("char", {}), ("word", {}), ("bpe", {"vocab_size": 8000}),
                          ("wordpiece", {"vocab_size": 8000}), ("unigram", {"vocab_size": 8000})]:
        tok = domain.make_tokenizer(name, **options)
        tok.train(train)
        if name == "char":
            t, ref = best_time(lambda: tok.encode_batch(texts), repeats), None
        else:
            hf = tok.hf
            assert tok.encode_batch(texts[:100]) == [e.ids for e in hf.encode_batch_fast(texts[:100], add_special_tokens=False)]
            t, ref = paired(tok.encode_batch,
                            lambda xs: [e.ids for e in hf.encode_batch_fast(xs, add_special_tokens=False)], texts, repeats)
        single = best_time(lambda: [tok.encode(s) for s in texts[:5000]], max(1, repeats // 2))
        mb_single = sum(len(s.encode("utf-8")) for s in texts[:5000]) / 1e6
        out["text"].append({"tokenizer": name, "corpus": text_name, "mb": mb, "vocab": tok.vocab_size,
                            "mbps": mb / t, "ref_mbps": None if ref is None else mb / ref,
                            "overhead": None if ref is None else t / ref - 1, "single_mbps": mb_single / single})
    formulas, latex_name = latex_corpus()
    mb = sum(len(f.encode("utf-8")) for f in formulas) / 1e6
    tok = polyseq.get_domain("latex").make_tokenizer()
    tok.train(formulas[: len(formulas) // 2])
    t, ref = paired(tok.encode_batch, lambda xs: [lex(f) for f in xs], formulas, repeats)
    out["latex"].append({"tokenizer": "math", "corpus": latex_name, "mb": mb, "vocab": tok.vocab_size,
                         "mbps": mb / t, "ref_mbps": mb / ref, "overhead": t / ref - 1, "single_mbps": mb / t})
    return out


def table(rows: list[dict], ref_name: str) -> str:
    lines = [f"| tokenizer | vocab | encode_batch MB/s | {ref_name} MB/s | wrapper overhead | encode() loop MB/s |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        ref = "-" if r["ref_mbps"] is None else f"{r['ref_mbps']:.2f}"
        over = "-" if r["overhead"] is None else f"{100 * r['overhead']:+.1f}%"
        lines.append(f"| {r['tokenizer']} | {r['vocab']} | {r['mbps']:.2f} | {ref} | {over} | {r['single_mbps']:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="write benchmarks/results/text.md and latex.md")
    args = parser.parse_args()
    results = run(args.repeats)
    machine = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
               f"{platform.python_version()}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
               f"TOKENIZERS_PARALLELISM={os.environ.get('TOKENIZERS_PARALLELISM', 'unset (HF default: on)')}")
    command = "OMP_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false POLYSEQ_DATA_MIRROR=../shared/data python benchmarks/tokenizers_text.py --write"
    for domain, ref_name in [("text", "HF direct"), ("latex", "bare lexer")]:
        rows = results[domain]
        body = (f"# {domain} tokenizers: encode throughput\n\nCommand: `{command}`  \nMachine: {machine}  \n"
                f"Corpus: {rows[0]['corpus']}, {rows[0]['mb']:.2f} MB, in chunks of 2,000; per chunk best of "
                f"{args.repeats} runs, the wrapper and its reference alternated chunk by chunk in the same run.\n\n{table(rows, ref_name)}\n")
        print(body)
        if args.write:
            RESULTS.mkdir(exist_ok=True)
            (RESULTS / f"{domain}.md").write_text(body, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
