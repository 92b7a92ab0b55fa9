"""polyseq domain plugin: SMILES molecules (RDKit), registered through the `polyseq` entry point.

Importing this package imports neither RDKit nor selfies: every part is named as "module:attr".
"""

from polyseq import Domain, hookimpl

#: real drug-like molecules: aspirin, caffeine, (S)-ibuprofen, paracetamol, diazepam, tamoxifen,
#: bromazepam, betaine - bracket atoms, charges, stereo centres and bonds, Cl and Br among them
EXAMPLES = (
    "CC(=O)Oc1ccccc1C(=O)O",
    "Cn1c(=O)c2c(ncn2C)n(C)c1=O",
    "CC(C)Cc1ccc(cc1)[C@H](C)C(=O)O",
    "CC(=O)Nc1ccc(O)cc1",
    "CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc21",
    r"CC/C(=C(\c1ccccc1)c1ccc(OCCN(C)C)cc1)c1ccccc1",
    "O=C1CN=C(c2ccccn2)c2cc(Br)ccc2N1",
    "C[N+](C)(C)CC(=O)[O-]",
)

_M = "polyseq_smiles."


@hookimpl
def register_domains(register):
    register(Domain(
        name="smiles",
        description="Molecules as SMILES strings (RDKit): atom, char, BPE and SELFIES tokenizers",
        tokenizers={
            "atom": _M + "tokenizers:AtomTokenizer",
            "char": _M + "tokenizers:SmilesCharTokenizer",
            "bpe": _M + "tokenizers:AtomBPETokenizer",
            "selfies": _M + "tokenizers:SelfiesTokenizer",
        },
        default_tokenizer="atom",
        readers={
            ".smi": _M + "io:read_smi",
            ".txt": _M + "io:read_smi",
            ".csv": _M + "io:read_csv",
            ".tsv": _M + "io:read_csv",
            ".sdf": _M + "io:read_sdf",
        },
        examples=EXAMPLES,
        sample_strategy=_M + "strategies:valid_smiles",
        parse=_M + "io:parse_text",
        validator=_M + "io:validate_smiles",
        augmentations={"randomize": _M + "augment:randomize"},
        metrics=_M + "metrics:smiles_metrics",
        writer=_M + "io:write_smi",
        splits={"scaffold": _M + "splits:scaffold_split"},
        example_files=_M + "io:example_files",
    ))

from polyseq_smiles.datasets import register_datasets  # noqa: E402,F401  (hookimpl: the catalog entries)
from polyseq_smiles.baselines import register_baselines  # noqa: E402,F401  (hookimpl: the field's baselines)
