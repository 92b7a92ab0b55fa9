"""Catalog entries of the SMILES domain: ESOL, FreeSolv, a MOSES subset, and RDKit's NCI molecules.

`DATASETS` is what `register_datasets` registers. Importing this module imports neither RDKit nor
anything else heavy.
"""

from __future__ import annotations

import gzip
import os
import random
import zipfile
from pathlib import Path

from polyseq import hookimpl
from polyseq.catalog import DatasetEntry, RemoteFile, TaskSpec

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


def generate_nci_properties(folder: Path, seed: int, limit: int | None = None) -> None:
    """RDKit's bundled NCI molecules with RDKit-computed properties as regression targets.

    Reads `RDConfig.RDDataDir/NCI/first_5K.smi` (shipped inside RDKit: no network), keeps the
    molecules RDKit parses (4,991), and writes `nci_properties.csv` with columns `smiles`
    (canonical SMILES), `logp` (Wildman-Crippen logP), `tpsa` (topological polar surface area)
    and `nci_id`, in an order shuffled with `seed`. Values are computed, not measured: a model
    can learn them exactly, which makes this a regression task whose answer is known.
    """
    from rdkit import Chem, RDConfig, RDLogger
    from rdkit.Chem import Crippen, rdMolDescriptors

    RDLogger.DisableLog("rdApp.*")
    try:
        rows = []
        with open(os.path.join(RDConfig.RDDataDir, "NCI", "first_5K.smi"), encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if not parts:
                    continue
                mol = Chem.MolFromSmiles(parts[0])
                if mol is None:
                    continue
                rows.append((Chem.MolToSmiles(mol), Crippen.MolLogP(mol), rdMolDescriptors.CalcTPSA(mol),
                             parts[1] if len(parts) > 1 else ""))
                if limit is not None and len(rows) >= limit:
                    break
    finally:
        RDLogger.EnableLog("rdApp.*")
    random.Random(seed).shuffle(rows)
    with open(Path(folder) / "nci_properties.csv", "w", encoding="utf-8", newline="\n") as f:
        f.write("smiles,logp,tpsa,nci_id\n")
        f.writelines(f"{smi},{logp:.4f},{tpsa:.4f},{nci}\n" for smi, logp, tpsa, nci in rows)


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
        TaskSpec("regress", target=ESOL_TARGET, reader_options={"targets": ESOL_TARGET},
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
        TaskSpec("regress", target="expt", reader_options={"targets": "expt"},
                 description="'calc' is a physics baseline, not an input"),
        TaskSpec("lm"),
    ),
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
    tasks=(TaskSpec("lm", description="canonical SMILES without stereochemistry, 35 characters on average"),),
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
        TaskSpec("regress", target=["logp", "tpsa"], reader_options={"targets": ["logp", "tpsa"]},
                 description="two computed targets; use target logp or tpsa alone through reader_options"),
        TaskSpec("lm"),
    ),
    notes="generated from the installed RDKit; same seed and RDKit version, same bytes",
)

DATASETS = (ESOL, FREESOLV, MOSES, NCI)


@hookimpl
def register_datasets(register):  # noqa: ANN001, ANN201 - the hook's register callback
    for entry in DATASETS:
        register(entry)
