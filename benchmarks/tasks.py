"""Per-position labelling and sequence-to-sequence on real data, each beside baselines on the same split.

    POLYSEQ_DATA_MIRROR=../shared/data OMP_NUM_THREADS=2 python -m benchmarks.tasks [--only tag|protein|canonical]

tag        examples/configs/dna_tag_ecoli.yaml (E. coli K-12 per-base CDS labels). Scored per BASE on the
           test split (464 kbp of genome no training window overlaps), from `polyseq predict`'s
           label strings: accuracy, macro F1 and F1 per label. Baselines: the majority label, and a
           multinomial logistic regression on the one-hot bases of a +-30 bp window around each base
           (trained on 400,000 train positions).
protein    examples/configs/dna_seq2seq_protein.yaml (30-codon DNA -> protein fragments of held-out
           genes). Scored on the test split from `polyseq predict` (greedy): exact match and residue
           accuracy (position by position; a missing or extra residue counts wrong). Baselines: the
           most frequent residue repeated to the true length, and the codon table read off the
           training pairs (the answer a biologist writes down: what "solved" looks like).
canonical  examples/configs/smiles_seq2seq_canonical.yaml (randomised -> canonical SMILES, generated
           from RDKit's NCI molecules): exact match and RDKit validity of the predictions on the test
           split. Baseline: the input itself (exact match when the random form happens to be canonical).

Not a test: each run takes minutes. Figures are printed as Markdown rows for BENCHMARKS.md and kept
in benchmarks/results/tasks.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from polyseq.cli import main as polyseq

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "examples" / "configs"


def fit_and_predict(config: str, test_csv: Path, reader: list[str], tmp: Path, extra: list[str]) -> tuple[list[dict], float]:
    start = time.perf_counter()
    assert polyseq(["fit", "--config", str(CONFIGS / f"{config}.yaml"), "--trainer.enable_progress_bar=false",
                    f"--trainer.default_root_dir={tmp}", f"--trainer.logger.init_args.save_dir={tmp}", *extra]) == 0
    seconds = time.perf_counter() - start
    ckpt = next(tmp.rglob("last.ckpt"))
    out = tmp / "pred.csv"
    assert polyseq(["predict", "--ckpt", str(ckpt), "--input", str(test_csv), "--out", str(out),
                    "--batch-size", "128", *reader]) == 0
    return list(csv.DictReader(open(out, encoding="utf-8"))), seconds


def dataset_split(name: str, task: str, split: str) -> Path:
    from polyseq.catalog import split_files

    return split_files(name, task)[split][0]


# ------------------------------------------------------------------------------------------------ tag


def per_base_scores(pred: str, true: str, labels: list[str]) -> dict[str, float]:
    p, t = np.frombuffer(pred.encode(), np.uint8), np.frombuffer(true.encode(), np.uint8)
    out = {"accuracy": float((p == t).mean())}
    f1s = {}
    for lab in labels:
        code = ord(lab)
        tp, fp, fn = np.sum((p == code) & (t == code)), np.sum((p == code) & (t != code)), np.sum((p != code) & (t == code))
        f1s[lab] = float(2 * tp / (2 * tp + fp + fn)) if tp + fp + fn else 0.0
    out["macro_f1"] = float(np.mean(list(f1s.values())))
    out.update({f"f1 {lab}": v for lab, v in f1s.items()})
    return out


def window_features(seq: str, half: int) -> np.ndarray:
    """(len, (2*half+1)*4) one-hot of the bases around each position (N and the edges: all zero)."""
    codes = np.full(len(seq) + 2 * half, 4, dtype=np.int64)
    lut = np.full(256, 4, dtype=np.int64)
    for i, b in enumerate(b"ACGT"):
        lut[b] = i
    codes[half : half + len(seq)] = lut[np.frombuffer(seq.encode(), np.uint8)]
    eye = np.vstack([np.eye(4, dtype=np.float32), np.zeros((1, 4), np.float32)])
    idx = np.arange(len(seq))[:, None] + np.arange(2 * half + 1)[None, :]
    return eye[codes[idx]].reshape(len(seq), -1)


def logistic_window_baseline(train: list[dict], test: list[dict], labels: list[str], half: int = 30,
                             n_train: int = 400_000, seed: int = 0) -> str:
    """Per-base softmax regression on a one-hot window; returns the predicted label string of the test windows."""
    import torch

    rng = np.random.default_rng(seed)
    index = {lab: i for i, lab in enumerate(labels)}
    xs, ys = [], []
    for row in train:
        x = window_features(row["sequence"], half)
        keep = rng.random(len(x)) < n_train / (len(train) * 1000)
        xs.append(x[keep])
        ys.append(np.array([index[c] for c in row["labels"]])[keep])
    x, y = torch.from_numpy(np.concatenate(xs)), torch.from_numpy(np.concatenate(ys))
    model = torch.nn.Linear(x.shape[1], len(labels))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(seed)
    for _ in range(4):  # epochs
        for batch in torch.randperm(len(x), generator=g).split(4096):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x[batch]), y[batch]).backward()
            opt.step()
    with torch.no_grad():
        return "".join("".join(labels[i] for i in model(torch.from_numpy(window_features(r["sequence"], half)))
                               .argmax(-1).tolist()) for r in test)


def run_tag(tmp: Path, extra: list[str]) -> list[dict]:
    train_csv, test_csv = dataset_split("ecoli_cds_tags", "tag", "train"), dataset_split("ecoli_cds_tags", "tag", "test")
    train = list(csv.DictReader(open(train_csv)))
    test = list(csv.DictReader(open(test_csv)))
    truth = "".join(r["labels"] for r in test)
    labels = sorted(set("".join(r["labels"] for r in train)))
    rows = []
    majority = Counter("".join(r["labels"] for r in train)).most_common(1)[0][0]
    rows.append({"model": f"majority label ({majority!r})", **per_base_scores(majority * len(truth), truth, labels)})
    start = time.perf_counter()
    rows.append({"model": "window logistic regression (+-30 bp one-hot)",
                 **per_base_scores(logistic_window_baseline(train, test, labels), truth, labels),
                 "train_s": round(time.perf_counter() - start)})
    preds, seconds = fit_and_predict("dna_tag_ecoli", test_csv, ["-r", "column=sequence", "-r", "target=labels",
                                                                 "-r", "per_base_label=true"], tmp / "tag", extra)
    pred = "".join(r["prediction"] for r in preds)
    rows.append({"model": f"polyseq tag (dna_tag_ecoli.yaml {' '.join(extra)})".replace(" )", ")"), **per_base_scores(pred, truth, labels), "train_s": round(seconds)})
    return rows


# ------------------------------------------------------------------------------------------------ seq2seq


def sequence_scores(preds: list[str], truths: list[str]) -> dict[str, float]:
    exact = np.mean([p == t for p, t in zip(preds, truths, strict=True)])
    right = sum(sum(a == b for a, b in zip(p, t)) for p, t in zip(preds, truths, strict=True))
    total = sum(max(len(p), len(t)) for p, t in zip(preds, truths, strict=True))
    return {"exact_match": float(exact), "token_accuracy": right / max(total, 1)}


def run_protein(tmp: Path, extra: list[str]) -> list[dict]:
    train_csv, test_csv = (dataset_split("ecoli_cds_protein", "seq2seq", s) for s in ("train", "test"))
    train, test = list(csv.DictReader(open(train_csv))), list(csv.DictReader(open(test_csv)))
    truths = [r["protein"] for r in test]
    common = Counter("".join(r["protein"] for r in train)).most_common(1)[0][0]
    votes: dict[str, Counter] = {}
    for r in train:
        for i, aa in enumerate(r["protein"]):
            votes.setdefault(r["dna"][3 * i : 3 * i + 3], Counter())[aa] += 1
    table = {codon: c.most_common(1)[0][0] for codon, c in votes.items()}
    by_table = ["".join(table.get(r["dna"][i : i + 3], "X") for i in range(0, len(r["dna"]) - 2, 3)) for r in test]
    rows = [{"model": f"most frequent residue ({common!r}) x true length", **sequence_scores([common * len(t) for t in truths], truths)},
            {"model": "codon table read off the training pairs", **sequence_scores(by_table, truths)}]
    preds, seconds = fit_and_predict("dna_seq2seq_protein", test_csv, ["-r", "column=dna", "-r", "target=protein"],
                                     tmp / "protein", extra)
    rows.append({"model": f"polyseq seq2seq (dna_seq2seq_protein.yaml {' '.join(extra)}), greedy".replace(" )", ")"),
                 **sequence_scores([r["prediction"] for r in preds], truths), "train_s": round(seconds)})
    return rows


def run_canonical(tmp: Path, extra: list[str]) -> list[dict]:
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    test_csv = dataset_split("smiles_canonicalize", "seq2seq", "test")
    test = list(csv.DictReader(open(test_csv)))
    truths = [r["canonical"] for r in test]

    def validity(smiles: list[str]) -> float:
        return float(np.mean([Chem.MolFromSmiles(s) is not None for s in smiles])) if smiles else 0.0

    rows = [{"model": "the input itself", **sequence_scores([r["random"] for r in test], truths),
             "validity": validity([r["random"] for r in test])}]
    preds, seconds = fit_and_predict("smiles_seq2seq_canonical", test_csv,
                                     ["-r", "column=random", "-r", "target=canonical"],
                                     tmp / "canonical", extra)
    out = [r["prediction"] for r in preds]
    rows.append({"model": "polyseq seq2seq (smiles_seq2seq_canonical.yaml), greedy", **sequence_scores(out, truths),
                 "validity": validity(out), "train_s": round(seconds)})
    return rows


RUNS = {"tag": run_tag, "protein": run_protein, "canonical": run_canonical}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--only", choices=list(RUNS), action="append")
    p.add_argument("--label", help="keep the results under '<run> [LABEL]' (a variant given by fit flags)")
    args, overrides = p.parse_known_args()  # the rest: `polyseq fit` flags for the neural runs (--trainer.max_steps=100)
    args.overrides = overrides
    results_path = ROOT / "benchmarks" / "results" / "tasks.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only or list(RUNS):
            rows = RUNS[name](Path(tmp), args.overrides)
            key = f"{name} [{args.label}]" if args.label else name
            results[key] = {"overrides": args.overrides, "rows": rows}
            keys = [k for k in rows[-1] if k != "model"]
            print(f"\n### {key}\n\n| model | " + " | ".join(keys) + " |\n|---|" + "---|" * len(keys))
            for r in rows:
                print(f"| {r['model']} | " + " | ".join(f"{r[k]:.3f}" if isinstance(r.get(k), float) else str(r.get(k, "")) for k in keys) + " |")
            results_path.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
