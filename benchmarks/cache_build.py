"""Token cache of a corpus larger than memory: build rate (MB/s) and peak RSS, then the second start.

    nice -n 10 .venv/bin/python -m benchmarks.cache_build --gb 1 --domains dna text

For each domain a multi-record corpus of about `--gb` GB is generated under a temporary folder
(random ACGT in FASTA records of 1,000 bp; text paragraphs of ~500 characters of words drawn from a
Zipf distribution over 20,000 made-up words, one per line), then, each in a fresh process whose
peak RSS is read by `benchmarks.memory.peak_rss` (`os.wait4` and VmHWM from /proc):

    build    SequenceDataModule(task=lm).prepare(): the streamed cache build (count, tokenizer
             training, tokenize + write), MB/s = input size / prepare() time (imports excluded);
    ready    the same module again: cache loaded, setup(), first training batch (time to data);
    fit      `polyseq fit --trainer.max_steps 1` on the cached corpus: the whole second start to
             the end of its first training step (imports, model, Lightning), an upper bound.

With --num-proc > 1 the workers are children of the build process: ru_maxrss is then the largest
single process, not their sum. Files are deleted afterwards. Figures: BENCHMARKS.md, "Token
cache of corpora larger than memory".
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.memory import peak_rss

BLOCK = 8_000_000


def write_fasta(path: Path, n_bytes: int, record_bp: int = 1000, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    per_block = max(1, BLOCK // record_bp)
    written, i = 0, 0
    with open(path, "wb") as f:
        while written < n_bytes:
            seqs = letters[rng.integers(0, 4, size=(per_block, record_bp))]
            out = b"".join(b">r%d\n%s\n" % (i + k, s.tobytes()) for k, s in enumerate(seqs))
            f.write(out)
            written, i = written + len(out), i + per_block


def write_text(path: Path, n_bytes: int, line_chars: int = 500, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "bi", "da", "fe", "go"]
    vocab = np.array(["".join(rng.choice(syllables, size=rng.integers(1, 4))) for _ in range(20_000)])
    written = 0
    with open(path, "w", encoding="utf-8") as f:
        while written < n_bytes:
            words = vocab[np.minimum(rng.zipf(1.3, size=BLOCK // 5), len(vocab)) - 1]
            text = " ".join(words.tolist())
            lines = [text[k : k + line_chars] for k in range(0, len(text), line_chars)]
            out = "\n".join(line.strip() for line in lines) + "\n"
            f.write(out)
            written += len(out)


CORPORA = {"dna": (".fa", write_fasta, {}), "text": (".txt", write_text, {"mode": "line"})}

PREPARE = """
import json, sys, time
start = time.perf_counter()
from polyseq.data.module import SequenceDataModule
d = SequenceDataModule(domain=sys.argv[1], train=sys.argv[2], task="lm", num_proc=int(sys.argv[3]),
                       reader_options=json.loads(sys.argv[4]), max_length=256, batch_size=32)
imported = time.perf_counter()
info = d.prepare()
prepared = time.perf_counter()
d.setup()
batch = next(iter(d.train_dataloader()))
ready = time.perf_counter()
print(json.dumps({"import_s": round(imported - start, 2), "prepare_s": round(prepared - imported, 2),
                  "first_batch_s": round(ready - prepared, 2), "counts": info["counts"],
                  "stream": info.get("stream"), "encode_s": info["encode_seconds"],
                  "train_tokens": int(d.arrays["train"].n_tokens)}), file=sys.stderr)
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gb", type=float, default=1.0)
    ap.add_argument("--domains", nargs="+", default=list(CORPORA), choices=list(CORPORA))
    ap.add_argument("--num-proc", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--max-gb", type=float, default=16, help="address-space cap of each command")
    ap.add_argument("--tmp", default=None, help="folder for the corpus and cache (default: a new temporary one)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        for domain in args.domains:
            suffix, write, options = CORPORA[domain]
            env = {**os.environ, "POLYSEQ_CACHE": str(Path(tmp) / f"cache-{domain}"), "OMP_NUM_THREADS": "1"}
            path = Path(tmp) / f"{domain}{suffix}"
            start = time.perf_counter()
            write(path, int(args.gb * 1e9))
            mb = path.stat().st_size / 1e6
            print(json.dumps({"domain": domain, "file_mb": round(mb), "generate_s": round(time.perf_counter() - start, 1)}),
                  flush=True)
            prepare = [sys.executable, "-c", PREPARE, domain, str(path), str(args.num_proc), json.dumps(options or None)]
            for step in ("build", "ready"):
                row = peak_rss(prepare, env, args.timeout, args.max_gb)
                if row["rc"] == 0:
                    row.update(json.loads(row.pop("last_line")))
                    row["mb_per_s"] = round(mb / row["prepare_s"], 2)  # the build (or load), imports excluded
                print(json.dumps({"domain": domain, "step": step, **row}), flush=True)
            fit = [sys.executable, "-m", "polyseq", "fit", "--data.domain", domain, "--data.train", str(path),
                   "--data.max_length", "256", "--data.batch_size", "32", "--model.d_model", "64",
                   "--model.n_layers", "2", "--trainer.max_steps", "1", "--trainer.num_sanity_val_steps", "0",
                   "--trainer.limit_val_batches", "0", "--trainer.enable_progress_bar", "false",
                   "--trainer.logger", "false",
                   "--trainer.default_root_dir", str(Path(tmp) / "runs")]
            if options:
                fit += ["--data.reader_options", json.dumps(options)]
            row = peak_rss(fit, env, args.timeout, args.max_gb)
            folders = sorted(p.name for p in (Path(tmp) / f"cache-{domain}" / "tokens").iterdir())
            print(json.dumps({"domain": domain, "step": "fit", "cache_folders": folders, **row}), flush=True)
            path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
