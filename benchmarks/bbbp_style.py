"""How much the way BBBP.csv writes its SMILES says about the label, with no chemistry at all.

    POLYSEQ_DATA_MIRROR=... python -m benchmarks.bbbp_style [--split random|scaffold]

BBBP was pooled from several sources, and they write molecules differently: some draw aromatic rings
in Kekule form (C1=CC=CC=C1), some in aromatic form (c1ccccc1); some keep stereo marks. For each
split of the catalog's `bbbp` classify task this prints how many molecules are written in Kekule form,
how many of those penetrate, and the ROC-AUC of two "classifiers" that read only the writing: Kekule
form (1/0), and Kekule form minus one half when stereo marks are present. A model reading the file's
own SMILES can learn this cue; `-r standardize=true` (RDKit's canonical SMILES of the standardised
molecule) removes it. Figures: BENCHMARKS.md, "BBBP: the recipe chosen on validation".
"""

from __future__ import annotations

import argparse

from rdkit import Chem
from sklearn.metrics import roc_auc_score

from polyseq.data.module import SequenceDataModule
from polyseq_smiles.chem import quiet_rdkit


def writing(smiles: str) -> tuple[bool, bool]:
    """(aromatic rings written in Kekule form, stereo marks present)."""
    with quiet_rdkit():  # as written (aromatic flags only on lowercase atoms), then as RDKit perceives it
        written, mol = Chem.MolFromSmiles(smiles, sanitize=False), Chem.MolFromSmiles(smiles)
    aromatic = any(a.GetIsAromatic() for a in mol.GetAtoms())
    kekule = aromatic and not any(a.GetIsAromatic() for a in written.GetAtoms())
    return kekule, any(c in smiles for c in "@/\\")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="random", choices=["random", "scaffold"])
    args = ap.parse_args(argv)
    data = SequenceDataModule(dataset="bbbp", task="classify", split=args.split, split_fractions=[0.8, 0.1, 0.1])
    print("| split | molecules | penetrate | written in Kekule form | of which penetrate | ROC-AUC: Kekule | ROC-AUC: Kekule - stereo/2 |")
    print("|---|---|---|---|---|---|---|")
    for split, records in data.read_split_records().items():
        labels = [int(r.target) for r in records]
        style = [writing(r.sample) for r in records]
        kekule = [float(k) for k, _ in style]
        both = [float(k) - 0.5 * stereo for k, stereo in style]
        positive_kekule = sum(1 for k, y in zip(kekule, labels) if k and y)
        print(f"| {split} | {len(records)} | {sum(labels)} | {int(sum(kekule))} | {positive_kekule} | "
              f"{roc_auc_score(labels, kekule):.3f} | {roc_auc_score(labels, both):.3f} |")


if __name__ == "__main__":
    main()
