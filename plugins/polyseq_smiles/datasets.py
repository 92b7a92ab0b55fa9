"""Catalog entries of the SMILES domain: ESOL, FreeSolv, a MOSES subset, RDKit's NCI molecules (properties;
random -> canonical SMILES) and USPTO-50k reactions.

`DATASETS` is what `register_datasets` registers. Importing this module imports neither RDKit nor
anything else heavy.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import random
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from polyseq import DatasetEntry, RemoteFile, TaskSpec, hookimpl

_RAW = "https://raw.githubusercontent.com"
_COLLECTION = f"{_RAW}/GLambard/Molecules_Dataset_Collection/beb35cd0b76db5adef6cb1fa55807e4cd309aaed/originals"
MOSES_ROWS = 100_000


def moses_subset(downloaded: Path, out: Path, rows: int = MOSES_ROWS) -> None:
    """From the molsets wheel, `moses/dataset/data/train.csv.gz`: its header and first `rows` rows."""
    with zipfile.ZipFile(downloaded) as wheel, wheel.open("moses/dataset/data/train.csv.gz") as member:
        with gzip.open(member, "rt", encoding="utf-8", newline="") as lines, \
                open(out, "w", encoding="utf-8", newline="") as f:
            for i, line in enumerate(lines):
                if i > rows:
                    break
                f.write(line)


def _nci_molecules(limit: int | None = None) -> Iterator[tuple[Any, str]]:
    """(RDKit molecule, NCI id) for each line of RDKit's bundled NCI file that RDKit parses."""
    from rdkit import Chem, RDConfig, RDLogger

    RDLogger.DisableLog("rdApp.*")
    try:
        n = 0
        with open(os.path.join(RDConfig.RDDataDir, "NCI", "first_5K.smi"), encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                mol = Chem.MolFromSmiles(parts[0]) if parts else None
                if mol is None:
                    continue
                yield mol, parts[1] if len(parts) > 1 else ""
                n += 1
                if limit is not None and n >= limit:
                    return
    finally:
        RDLogger.EnableLog("rdApp.*")


def generate_nci_properties(folder: Path, seed: int, limit: int | None = None) -> None:
    """RDKit's bundled NCI molecules with RDKit-computed properties as regression targets.

    Reads `RDConfig.RDDataDir/NCI/first_5K.smi` (shipped inside RDKit: no network), keeps the
    molecules RDKit parses (4,991), and writes `nci_properties.csv` with columns `smiles`
    (canonical SMILES), `logp` (Wildman-Crippen logP), `tpsa` (topological polar surface area)
    and `nci_id`, in an order shuffled with `seed`. Values are computed, not measured: a model
    can learn them exactly, which makes this a regression task whose answer is known.
    """
    from rdkit import Chem
    from rdkit.Chem import Crippen, rdMolDescriptors

    rows = [(Chem.MolToSmiles(mol), Crippen.MolLogP(mol), rdMolDescriptors.CalcTPSA(mol), nci)
            for mol, nci in _nci_molecules(limit)]
    random.Random(seed).shuffle(rows)
    with open(Path(folder) / "nci_properties.csv", "w", encoding="utf-8", newline="\n") as f:
        f.write("smiles,logp,tpsa,nci_id\n")
        f.writelines(f"{smi},{logp:.4f},{tpsa:.4f},{nci}\n" for smi, logp, tpsa, nci in rows)


SPLITS = ("train", "val", "test")


def _write_csv(path: Path, header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def generate_canonicalize_pairs(folder: Path, seed: int, forms: int = 5, limit: int | None = None) -> None:
    """Randomised -> canonical SMILES pairs of RDKit's bundled NCI molecules.

    Each distinct molecule (by canonical SMILES: 4,892 of the 4,991 RDKit parses) gets `forms`
    random SMILES from `Chem.MolToRandomSmilesVect` (seeded per molecule from `seed`, so the same
    seed and RDKit version give the same bytes), duplicates among them dropped; a random form may
    happen to be the canonical one. Molecules are shuffled with `seed` and split 80/10/10, so no
    molecule is in two splits. Writes `train.csv`, `val.csv`, `test.csv` (`id,random,canonical`,
    id = NCI id and form number).
    """
    from rdkit import Chem

    molecules: dict[str, tuple[Any, str]] = {}
    for mol, nci in _nci_molecules(limit):
        molecules.setdefault(Chem.MolToSmiles(mol), (mol, nci or f"line{len(molecules) + 1}"))
    rng = random.Random(seed)
    order = sorted(molecules)
    rng.shuffle(order)
    cut = [round(len(order) * 0.8), round(len(order) * 0.9)]
    for split, chosen in zip(SPLITS, (order[:cut[0]], order[cut[0]:cut[1]], order[cut[1]:])):
        rows = []
        for canonical in chosen:
            mol, nci = molecules[canonical]
            randoms = dict.fromkeys(Chem.MolToRandomSmilesVect(mol, forms, randomSeed=rng.randrange(2**31)))
            rows += [(f"{nci}.{k}", smiles, canonical) for k, smiles in enumerate(randoms, start=1)]
        _write_csv(Path(folder) / f"{split}.csv", ("id", "random", "canonical"), rows)


# ---- USPTO-50k -----------------------------------------------------------------------------------

_USPTO = f"{_RAW}/pandegroup/reaction_prediction_seq2seq/9a6f040198ce990cbdeea812e7e99df7becd142c/processed_data"
USPTO_FILE = "uspto50k_liu2017.csv"


def assemble_uspto(out: Path, get: Callable[[str], bytes]) -> None:
    """The reference CSV (`split,line,class,rxn_smiles`) from Liu et al.'s six files.

    Upstream, line n of `<split>_sources` is `<RX_c>` and the product, line n of `<split>_targets`
    the reactants, both as single characters separated by spaces; removing the spaces restores
    the SMILES. Rows are train, then valid, then test, each in upstream order.
    """
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write("split,line,class,rxn_smiles\n")
        for split in ("train", "valid", "test"):
            sources = get(f"{_USPTO}/{split}_sources").decode("ascii").splitlines()
            targets = get(f"{_USPTO}/{split}_targets").decode("ascii").splitlines()
            if len(sources) != len(targets):
                raise ValueError(f"{split}: {len(sources)} source lines but {len(targets)} target lines")
            for n, (source, target) in enumerate(zip(sources, targets), start=1):
                token, _, product = source.partition(" ")
                if not (token.startswith("<RX_") and token.endswith(">")):
                    raise ValueError(f"{split}_sources:{n}: expected a <RX_n> class token, got {token!r}")
                f.write(f"{split},{n},{token[4:-1]},{''.join(target.split())}>>{''.join(product.split())}\n")


def _canonical_unmapped(smiles: str) -> str:
    """RDKit's canonical SMILES with atom-map numbers removed (molecules in canonical order)."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise ValueError(f"RDKit cannot parse {smiles!r}")
    for atom in mol.GetAtoms():
        atom.SetAtomMapNum(0)
    return Chem.MolToSmiles(mol)


def derive_uspto(files: Path, out: Path) -> None:
    """Per-split CSVs `id,reactants,product,reaction,class` from the reference CSV.

    Reactants and product are re-canonicalised by the installed RDKit with atom maps removed (the
    file has none; a copy with maps would lose them); `reaction` is `reactants>>product`; `id` is
    `<split>-<upstream line>`. Liu et al.'s split is kept (valid -> val). `summary.json` counts
    rows, classes and the SMILES the canonicalisation changed.
    """
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")
    rows: dict[str, list[tuple[str, ...]]] = {s: [] for s in SPLITS}
    counts: Counter[str] = Counter()
    try:
        with open(Path(files) / USPTO_FILE, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                split = {"valid": "val"}.get(row["split"], row["split"])
                reactants, _, product = row["rxn_smiles"].partition(">>")
                canonical = _canonical_unmapped(reactants), _canonical_unmapped(product)
                counts["reactants_changed"] += canonical[0] != reactants
                counts["products_changed"] += canonical[1] != product
                counts[f"class_{int(row['class']):02d}"] += 1
                rows[split].append((f"{split}-{row['line']}", *canonical, ">>".join(canonical), row["class"]))
    finally:
        RDLogger.EnableLog("rdApp.*")
    for split, split_rows in rows.items():
        _write_csv(Path(out) / f"{split}.csv", ("id", "reactants", "product", "reaction", "class"), split_rows)
    summary = {"rows": {s: len(r) for s, r in rows.items()}, "counts": dict(sorted(counts.items()))}
    (Path(out) / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


ESOL_TARGET = "measured log solubility in mols per litre"

ESOL = DatasetEntry(
    name="esol",
    domain="smiles",
    description="ESOL (Delaney): aqueous solubility (log mol/L) of 1,128 molecules; MoleculeNet regression",
    licence="supporting information of the paper, redistributed in MoleculeNet; collection repository MIT",
    citation="J. S. Delaney, ESOL: Estimating Aqueous Solubility Directly from Molecular Structure, "
             "J. Chem. Inf. Comput. Sci. 44 (2004) 1000-1005; Wu et al., MoleculeNet, Chem. Sci. 9 (2018)",
    files=(RemoteFile(
        "delaney-processed.csv",
        url=f"{_COLLECTION}/ESOL_delaney-processed.csv",
        sha256="8c06a76f0c6487d29ab0f903e6a7a7139f189ab3c1178f159c8be8964602f189",
        size=96_699,
        mirror_path="smiles/esol/delaney-processed.csv",
    ),),
    default_split="scaffold",
    tasks=(
        TaskSpec("regress", target=ESOL_TARGET, reader_options={"target": ESOL_TARGET},
                 description="do not feed the 'ESOL predicted' column (a baseline's prediction)"),
        TaskSpec("lm"),
    ),
)

FREESOLV = DatasetEntry(
    name="freesolv",
    domain="smiles",
    description="FreeSolv: experimental hydration free energy (kcal/mol) of 642 molecules; MoleculeNet regression",
    licence="open research database (cite the paper); collection repository MIT",
    citation="D. L. Mobley, J. P. Guthrie, FreeSolv: a database of experimental and calculated hydration "
             "free energies, J. Comput.-Aided Mol. Des. 28 (2014) 711-720",
    files=(RemoteFile(
        "SAMPL.csv",
        url=f"{_COLLECTION}/FreeSolv_SAMPL.csv",
        sha256="ab5895d914ee87cb563bd7b9611e869527bba45bec6b014d34dc495a0f9dcb72",
        size=32_060,
        mirror_path="smiles/freesolv/SAMPL.csv",
    ),),
    default_split="scaffold",
    tasks=(
        TaskSpec("regress", target="expt", reader_options={"target": "expt"},
                 description="'calc' is a physics baseline, not an input"),
        TaskSpec("lm"),
    ),
)

BBBP = DatasetEntry(
    name="bbbp",
    domain="smiles",
    description="BBBP: blood-brain barrier penetration (p_np 1/0) of 2,050 compounds; MoleculeNet classification",
    licence="data of the paper, redistributed in MoleculeNet; collection repository MIT",
    citation="I. F. Martins, A. L. Teixeira, L. Pinheiro, A. O. Falcao, A Bayesian Approach to in Silico "
             "Blood-Brain Barrier Penetration Modeling, J. Chem. Inf. Model. 52 (2012) 1686-1697; "
             "Wu et al., MoleculeNet, Chem. Sci. 9 (2018)",
    files=(RemoteFile(
        "BBBP.csv",
        url=f"{_COLLECTION}/BBBP.csv",
        sha256="d07a38487aeac5cee5508413e468043ef3097451d2a112701c2d60be9ec6b662",
        size=148_743,
        mirror_path="smiles/bbbp/BBBP.csv",
    ),),
    default_split="scaffold",
    tasks=(
        TaskSpec("classify", target="p_np", reader_options={"column": "smiles", "target": "p_np"},
                 description="1: penetrates, 0: does not (76 % / 24 %); 11 SMILES RDKit rejects are counted "
                             "as bad records"),
        TaskSpec("lm", reader_options={"column": "smiles"}),
    ),
    notes="MoleculeNet's published figures use a scaffold split (the default here); random-split figures "
          "are higher and not comparable",
)

MOSES = DatasetEntry(
    name="moses_100k",
    domain="smiles",
    description="MOSES training split (ZINC Clean Leads), first 100,000 SMILES: molecule generation",
    licence="MIT (MOSES); ZINC free to use",
    citation="D. Polykovskiy et al., Molecular Sets (MOSES): A Benchmarking Platform for Molecular "
             "Generation Models, Front. Pharmacol. 11 (2020) 565644",
    homepage="https://github.com/molecularsets/moses",
    files=(RemoteFile(
        "moses_train_first100k.csv",
        url="https://files.pythonhosted.org/packages/ca/04/335f23e9ae95ca381ac7c3f335303dbbeb0f8a604d167891cf60c9360178/"
            "molsets-0.3.1-py3-none-any.whl",
        sha256="7f4450e3ebecebe79c3a2a55950c93daddee071120daf64a163d03481e811d34",
        size=51_584_291,
        mirror_path="smiles/moses_zinc_subset/moses_train_first100k.csv",
        mirror_sha256="905b34f539cf8ca86e39d86986f93d1ac9cbc619d852599e9d4856dabfb8edeb",
        process="polyseq_smiles.datasets:moses_subset",
        note="downloads the molsets 0.3.1 wheel from PyPI (51.6 MB) and keeps the header and first 100,000 rows "
             "of moses/dataset/data/train.csv.gz (its order is already shuffled)",
    ),),
    tasks=(
        TaskSpec("lm", description="canonical SMILES without stereochemistry, 35 characters on average"),
        TaskSpec("mlm", description="the same SMILES, masked-token pretraining for encoders "
                                    "(examples/configs/smiles_pretrain_moses.yaml)"),
    ),
)

NCI = DatasetEntry(
    name="nci_properties",
    domain="smiles",
    description="Offline: RDKit's bundled NCI molecules (4,991) with RDKit-computed Crippen logP and TPSA",
    licence="NCI open data shipped with RDKit (BSD-3-Clause)",
    citation="National Cancer Institute open database, as bundled in RDKit (RDConfig.RDDataDir/NCI/first_5K.smi); "
             "S. A. Wildman, G. M. Crippen, J. Chem. Inf. Comput. Sci. 39 (1999) 868 (logP); "
             "P. Ertl et al., J. Med. Chem. 43 (2000) 3714 (TPSA)",
    generator="polyseq_smiles.datasets:generate_nci_properties",
    splits={"train": ["nci_properties.csv"]},
    default_split="scaffold",
    tasks=(
        TaskSpec("regress", target=["logp", "tpsa"], reader_options={"target": ["logp", "tpsa"]},
                 description="two computed targets; use target logp or tpsa alone through reader_options"),
        TaskSpec("lm"),
    ),
    notes="generated from the installed RDKit; same seed and RDKit version, same bytes",
)

CANONICALIZE = DatasetEntry(
    name="smiles_canonicalize",
    domain="smiles",
    description="Offline: random SMILES -> RDKit canonical SMILES of RDKit's bundled NCI molecules (seq2seq)",
    licence="NCI open data shipped with RDKit (BSD-3-Clause)",
    citation="National Cancer Institute open database, as bundled in RDKit (RDConfig.RDDataDir/NCI/first_5K.smi); "
             "random SMILES as in J. Arus-Pous et al., J. Cheminform. 11 (2019) 71",
    generator="polyseq_smiles.datasets:generate_canonicalize_pairs",
    splits={"train": ["train.csv"], "val": ["val.csv"], "test": ["test.csv"]},
    tasks=(
        TaskSpec("seq2seq", target="canonical",
                 reader_options={"column": "random", "target": "canonical"},
                 data_options={"target_domain": "smiles"},
                 description="4,892 molecules split 80/10/10 by molecule (3,914 / 489 / 489), up to 5 distinct "
                             "random forms each: 23,697 pairs (18,991 / 2,349 / 2,357) with seed 0"),
    ),
    notes="generated from the installed RDKit; same seed and RDKit version, same bytes",
)

USPTO_50K = DatasetEntry(
    name="uspto_50k",
    domain="smiles",
    description="USPTO-50k reactions (Liu et al. 2017 split, 40,029 / 5,004 / 5,004): reactants -> product, "
                "and 10 reaction classes",
    licence="USPTO reactions (Lowe) CC0; 50k selection and classes from Schneider et al. (no explicit licence); "
            "repository Apache-2.0",
    citation="N. Schneider, N. Stiefl, G. A. Landrum, What's What: The (Nearly) Definitive Guide to Reaction Role "
             "Assignment, J. Chem. Inf. Model. 56 (2016) 2336-2346; B. Liu et al., Retrosynthetic Reaction "
             "Prediction Using Neural Sequence-to-Sequence Models, ACS Cent. Sci. 3 (2017) 1103-1113",
    homepage="https://github.com/pandegroup/reaction_prediction_seq2seq",
    files=(RemoteFile(
        USPTO_FILE,
        url="https://github.com/pandegroup/reaction_prediction_seq2seq/tree/9a6f040198ce990cbdeea812e7e99df7becd142c/"
            "processed_data",
        sha256=None,
        size=5_646_847,
        mirror_path=f"smiles/uspto_50k/{USPTO_FILE}",
        mirror_sha256="7ea81b4050f455111c5e019651d82f23a829083de4931a2c397e7fa59c65a29d",
        assemble="polyseq_smiles.datasets:assemble_uspto",
        note="assembled from processed_data/{train,valid,test}_{sources,targets} at the pinned commit (spaces "
             "between SMILES characters removed, class from the <RX_n> token) and verified against the "
             "reference copy",
    ),),
    derive="polyseq_smiles.datasets:derive_uspto",
    splits={"train": ["train.csv"], "val": ["val.csv"], "test": ["test.csv"]},
    tasks=(
        TaskSpec("seq2seq", target="product",
                 reader_options={"column": "reactants", "target": "product"},
                 data_options={"target_domain": "smiles"},
                 description="forward reaction prediction: reactants (dot-separated, no reagents) -> the product; "
                             "RDKit-canonical SMILES without atom maps (the first fetch canonicalises 100,074 "
                             "SMILES: about a minute)"),
        TaskSpec("classify", target="class",
                 reader_options={"column": "reaction", "target": "class", "reaction": True},
                 description="10 classes (Schneider et al.) from the whole reaction reactants>>product; "
                             "imbalanced: class 1 30 %, class 10 0.5 %"),
    ),
    notes="Liu et al.'s split, not the GLN split of Dai et al. 2019: compare only with results on the same split",
)

DATASETS = (ESOL, FREESOLV, BBBP, MOSES, NCI, CANONICALIZE, USPTO_50K)


@hookimpl
def register_datasets(register):  # noqa: ANN001, ANN201 - the hook's register callback
    for entry in DATASETS:
        register(entry)
