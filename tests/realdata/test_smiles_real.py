"""The smiles domain on the real datasets of the mirror (opt-in: POLYSEQ_DATA_MIRROR=../shared/data).

ESOL, FreeSolv and the MOSES/ZINC subset are read whole, with their counts and targets checked and
the read report printed (`pytest -s` shows it); damaged copies written to a temporary folder give
the documented report and lose nothing else.
"""

import gzip

import pytest
from rdkit import Chem

from polyseq import ReaderError, ReadReport, get_domain
from polyseq_smiles import chem
from polyseq_smiles.splits import scaffold, scaffold_split

pytestmark = pytest.mark.realdata

DOMAIN = get_domain("smiles")
ESOL_TARGET = "measured log solubility in mols per litre"


@pytest.fixture(scope="module")
def smiles_dir(data_mirror):
    return data_mirror / "smiles"


def read(path, **options):
    report = ReadReport()
    records = list(DOMAIN.read(path, report=report, **options))
    print(f"\n{path.name}: {report.summary()}")
    return records, report


def test_esol(smiles_dir):
    path = smiles_dir / "esol" / "delaney-processed.csv"
    records, report = read(path, target=ESOL_TARGET, target_type="float")
    assert (len(records), report.n_bad) == (1128, 0)
    assert report.summary() == "1128 records read from 1 file(s), 0 bad"
    assert records[0].sample == "OCC3OC(OCC2OC(OC(C#N)c1ccccc1)C(O)C(O)C2O)C(O)C(O)C3O"  # trailing space stripped
    assert records[0].target == -0.77 and records[-1].meta["line"] == 1129
    assert not any(c.isspace() for r in records for c in r.sample)
    assert min(r.target for r in records) < -11 and max(r.target for r in records) > 1.5


def test_esol_wrong_column_names_the_columns(smiles_dir):
    path = smiles_dir / "esol" / "delaney-processed.csv"
    with pytest.raises(ReaderError, match=r"no column 'smile'\. Columns present: Compound ID, "
                                          r"ESOL predicted .*, measured log solubility in mols per litre, smiles\. "
                                          r"Pass column="):
        read(path, column="smile")


def test_freesolv_crlf(smiles_dir):
    path = smiles_dir / "freesolv" / "SAMPL.csv"
    assert b"\r\n" in path.read_bytes()[:200]
    records, report = read(path, target=["expt", "calc"], target_type="float")
    assert (len(records), report.n_bad) == (642, 0)
    assert records[0].sample == "CN(C)C(=O)c1ccc(cc1)OC" and records[0].target == [-11.01, -9.625]


def test_moses_subset_reads_whole_and_round_trips_through_the_atom_tokenizer(smiles_dir):
    path = smiles_dir / "moses_zinc_subset" / "moses_train_first100k.csv"
    records, report = read(path)
    assert (len(records), report.n_bad) == (100_000, 0)
    samples = [r.sample for r in records]
    tok = DOMAIN.make_tokenizer("atom")
    tok.train(samples)
    assert all(tok.decode(tok.encode(s)) == s for s in samples)
    print(f"atom vocabulary on MOSES: {tok.vocab_size} ids; {sum(map(len, tok.encode_batch(samples)))} tokens")


def test_corrupted_esol_copy(smiles_dir, tmp_path):
    original = (smiles_dir / "esol" / "delaney-processed.csv").read_bytes().decode()
    good, _ = read(smiles_dir / "esol" / "delaney-processed.csv", target=ESOL_TARGET)
    lines = original.splitlines(keepends=True)
    fields = lines[100].split(",")
    fields[-1] = "C1CC(C" + fields[-1]  # a bad SMILES on line 101
    lines[100] = ",".join(fields)
    text = "".join(lines)
    partial = lines[1000][: len(lines[1000]) // 2]
    cut = text[: text.index(lines[1000])] + partial  # the file ends in the middle of line 1001
    path = tmp_path / "esol_damaged.csv"
    path.write_text(cut)
    records, report = read(path, target=ESOL_TARGET)
    assert [(b.meta["line"], b.reason.split(":")[0]) for b in report.bad] == [
        (101, f"RDKit cannot parse {fields[-1].strip()!r}"),
        (1001, f"row has {partial.count(',') + 1} field(s), the header has 10"),
    ]
    expected = [r for r in good if r.meta["line"] != 101 and r.meta["line"] < 1001]
    assert [(r.sample, r.target, r.meta["line"]) for r in records] == [
        (r.sample, r.target, r.meta["line"]) for r in expected]


def test_truncated_gzip_copy_of_moses(smiles_dir, tmp_path):
    data = gzip.compress((smiles_dir / "moses_zinc_subset" / "moses_train_first100k.csv").read_bytes())
    path = tmp_path / "moses_cut.csv.gz"
    path.write_bytes(data[: len(data) // 10])
    records, report = read(path, validate=False)
    assert report.n_bad == 1 and "the compressed file ends early" in report.bad[0].reason
    assert report.bad[0].meta["line"] == records[-1].meta["line"] + 1 and 5000 < len(records) < 20000
    whole = (smiles_dir / "moses_zinc_subset" / "moses_train_first100k.csv").read_text().split()[1:]
    assert [r.sample for r in records] == whole[: len(records)]


def test_esol_scaffold_split(smiles_dir):
    records, _ = read(smiles_dir / "esol" / "delaney-processed.csv", target=ESOL_TARGET)
    parts = scaffold_split(records, [0.8, 0.1, 0.1], seed=0)
    assert sorted(i for p in parts for i in p) == list(range(len(records)))
    scaffolds = [{scaffold(records[i].sample) for i in p} for p in parts]
    assert not (scaffolds[0] & scaffolds[1] or scaffolds[0] & scaffolds[2] or scaffolds[1] & scaffolds[2])
    print(f"ESOL scaffold split sizes: {[len(p) for p in parts]}, scaffolds: {[len(s) for s in scaffolds]}")


def test_standardize_on_esol_and_moses(smiles_dir):
    """ESOL standardised: nothing lost, one fragment, no stereo, and standardising again changes nothing.
    MOSES molecules are already neutral single fragments without stereo: standardising them only
    canonicalises them."""
    path = smiles_dir / "esol" / "delaney-processed.csv"
    plain, _ = read(path, target=ESOL_TARGET, target_type="float")
    records, report = read(path, target=ESOL_TARGET, target_type="float", standardize=True)
    assert (len(records), report.n_bad) == (1128, 0)
    assert [r.target for r in records] == [r.target for r in plain]
    assert not any(c in r.sample for r in records for c in "@/\\.")
    assert all(chem.standardize(r.sample, chem.STANDARDIZE_STEPS) == r.sample for r in records)
    changed = sum(Chem.CanonSmiles(p.sample) != r.sample for p, r in zip(plain, records))
    print(f"ESOL: {changed} of 1128 molecules changed by standardising beyond canonicalisation")
    assert changed == 6  # double-bond stereo marks dropped (C/C=C/C -> CC=CC); ESOL has no salts or ions
    moses, _ = read(smiles_dir / "moses_zinc_subset" / "moses_train_first100k.csv")
    for r in moses[:3000]:
        assert chem.standardize(r.sample, chem.STANDARDIZE_STEPS) == Chem.CanonSmiles(r.sample), r.sample
