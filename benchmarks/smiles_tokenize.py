"""Atom-level SMILES tokenisation: polyseq's `smiles.atom` against the reference atom-wise tokenizer of
SmilesPE (`SmilesPE.pretokenizer.atomwise_tokenizer`, Li & Fourches 2021), in one run.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/smiles_tokenize.py [--out benchmarks/results/smiles.md]

Data: the MOSES/ZINC subset of the mirror (POLYSEQ_DATA_MIRROR) when present, else the NCI SMILES
that ship inside RDKit. SmilesPE is a benchmark-only reference (`pip install smilespe`); without it
the baseline is a plain `re.findall` with the same Molecular Transformer regex, and the report says so.
Both sides must give the same tokens on every molecule (checked). Runs alternate between the two
sides and the best of N is kept, so load from other processes affects both alike.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import time
from pathlib import Path

from polyseq_smiles.tokenizers import AtomTokenizer, atom_split

SECTION = "smiles_atom"
REFERENCE_REGEX = (r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\\\|\/|:|~|@|\?|>|\*|\$"
                   r"|\%[0-9]{2}|[0-9])")


def load_smiles() -> tuple[list[str], str]:
    mirror = os.environ.get("POLYSEQ_DATA_MIRROR", "")
    moses = Path(mirror) / "smiles" / "moses_zinc_subset" / "moses_train_first100k.csv" if mirror else None
    if moses is not None and moses.exists():
        return moses.read_text().split()[1:], "MOSES/ZINC subset (mirror)"
    from rdkit import RDConfig

    path = Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"
    return [line.split()[0] for line in path.read_text().splitlines()] * 20, "RDKit NCI first_5K.smi x 20"


def reference() -> tuple[object, str]:
    try:
        from SmilesPE.pretokenizer import atomwise_tokenizer
    except ImportError:
        pattern = re.compile(REFERENCE_REGEX)
        return pattern.findall, "plain `re.findall` with the reference regex (SmilesPE is not installed)"
    import importlib.metadata

    return atomwise_tokenizer, f"SmilesPE {importlib.metadata.version('smilespe')} `atomwise_tokenizer`"


def timed(fn, smiles: list[str]) -> float:
    t0 = time.perf_counter()
    for s in smiles:
        fn(s)
    return time.perf_counter() - t0


def write_section(out: Path, name: str, text: str) -> None:
    """Replace (or append) the section between <!-- name --> markers in `out`."""
    begin, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    old = out.read_text() if out.exists() else "# SMILES benchmarks\n\nWritten by `benchmarks/smiles_*.py`.\n"
    block = f"{begin}\n{text.strip()}\n{end}"
    if begin in old and end in old:
        new = old[: old.index(begin)] + block + old[old.index(end) + len(end):]
    else:
        new = old.rstrip() + "\n\n" + block + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(new)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--out", type=Path, default=None, help="markdown file to write the results section into")
    args = ap.parse_args()

    smiles, data = load_smiles()
    ref, ref_name = reference()
    mismatches = [s for s in smiles if ref(s) != atom_split(s)]
    if mismatches:
        raise SystemExit(f"the two tokenizers disagree on {len(mismatches)} SMILES, e.g. {mismatches[:3]}")
    tok = AtomTokenizer()
    tok.train(smiles)
    n_tokens = sum(len(atom_split(s)) for s in smiles)
    stoi = tok.vocab.stoi

    def reference_ids(s: str) -> list[int]:  # the reference's tokens, then the same vocabulary lookup
        return [stoi.get(t, 1) for t in ref(s)]

    sides = {"reference": ref, "atom_split": atom_split, "reference_ids": reference_ids, "encode": tok.encode}
    best = {name: float("inf") for name in sides}
    for _ in range(args.repeats):  # interleaved, so background load hits every side alike
        for name, fn in sides.items():
            best[name] = min(best[name], timed(fn, smiles))
    rows = [
        (f"{ref_name} (baseline: tokens)", "reference", "reference"),
        ("polyseq `atom_split` (the same tokens)", "atom_split", "reference"),
        ("baseline tokens + a vocabulary lookup (baseline: ids)", "reference_ids", "reference_ids"),
        ("polyseq `AtomTokenizer.encode` (the same ids)", "encode", "reference_ids"),
    ]
    table = "\n".join(
        f"| {name} | {best[key] * 1000:.0f} ms | {len(smiles) / best[key] / 1000:.0f} k SMILES/s "
        f"| {best[base] / best[key]:.2f}x |" for name, key, base in rows)
    ratio = best["reference"] / best["atom_split"]
    ratio_ids = best["reference_ids"] / best["encode"]
    vs_tokens = best["reference"] / best["encode"]
    load = os.getloadavg()[0]
    text = f"""
## Atom-level SMILES tokenisation (`benchmarks/smiles_tokenize.py`)

{data}: {len(smiles):,} SMILES, {n_tokens:,} atom tokens; best of {args.repeats} interleaved runs,
same process; {platform.machine()}, Python {platform.python_version()},
OMP_NUM_THREADS={os.environ.get("OMP_NUM_THREADS", "unset")}, load average {load:.1f} on {os.cpu_count()} cores
at the end (other processes share the machine: compare the ratios, not the times).
Both sides give identical tokens on every SMILES (checked).

| method | time | throughput | speed-up vs its baseline |
|---|---|---|---|
{table}

Target: >= 1.0x. Same tokens: {ratio:.2f}x. Same ids: {ratio_ids:.2f}x. `encode` (ids) against the
baseline's tokens alone, which skips the lookup: {vs_tokens:.2f}x.
"""
    print(text)
    if args.out is not None:
        write_section(args.out, SECTION, text)


if __name__ == "__main__":
    main()
