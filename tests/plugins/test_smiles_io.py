"""Readers, writer and validator of the smiles domain, on the NCI molecules that ship inside RDKit."""

import gzip
import os
from pathlib import Path

import pytest
from rdkit import Chem, RDConfig

from polyseq import BadRecordError, PolyseqError, ReaderError, ReadReport, get_domain
from polyseq_smiles.io import parse_text, read_csv, validate_smiles, write_smi

DOMAIN = get_domain("smiles")
NCI = Path(RDConfig.RDDataDir) / "NCI"
NCI_SMI = NCI / "first_5K.smi"  # 4,999 lines, 8 molecules RDKit rejects (hypervalent atoms)
NCI_SDF = NCI / "first_200.props.sdf"


def read(path, **options):
    report = ReadReport()
    records = list(DOMAIN.read(path, report=report, **options))
    return records, report


def test_nci_smi_counts_and_reports_the_invalid_molecules_with_rdkit_reasons():
    records, report = read(NCI_SMI)
    assert (len(records), report.n_bad) == (4991, 8)
    assert records[0].sample == "CC1=CC(=O)C=CC1=O" and records[0].meta["name"] == "1"
    assert records[0].meta["line"] == 1 and records[-1].meta["line"] == 4999
    first = report.bad[0]
    assert first.where == f"{NCI_SMI}:2098"
    assert "Explicit valence for atom # 9 N, 5, is greater than permitted" in first.reason


def test_rdkit_says_nothing_on_stderr_while_reading(capfd, tmp_path):
    path = tmp_path / "bad.smi"
    path.write_text("C1CC(\nCN(C)(C)(C)C\nc1cccc1\n")
    assert read(path)[1].n_bad == 3
    assert capfd.readouterr().err == ""


def test_strict_mode_stops_at_the_first_bad_molecule_naming_file_and_line():
    with pytest.raises(BadRecordError, match=r"first_5K\.smi:2098: RDKit cannot parse"):
        list(DOMAIN.read(NCI_SMI, strict=True))


def test_a_bad_smiles_line_is_reported_and_loses_nothing_else(tmp_path):
    lines = NCI_SMI.read_text().splitlines()[:50]
    lines[9] = "C1CC(N broken"
    lines[19] = "\t   "
    path = tmp_path / "some.smi"
    path.write_text("\n".join(lines) + "\n")
    records, report = read(path)
    assert len(records) == 48
    assert [(b.meta["line"], b.reason.split(":")[0]) for b in report.bad] == [
        (10, "RDKit cannot parse 'C1CC(N'"), (20, "empty line (no SMILES)")]
    assert "extra open parentheses" in report.bad[0].reason


def test_a_line_that_is_not_utf8_is_one_bad_record(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_bytes(b"CCO ethanol\n\xff\xfeCC\nc1ccccc1 benzene\n")
    records, report = read(path)
    assert [r.sample for r in records] == ["CCO", "c1ccccc1"]
    assert report.bad[0].meta["line"] == 2 and "not UTF-8" in report.bad[0].reason


def test_smi_with_a_header(tmp_path):
    path = tmp_path / "h.smi"
    path.write_text("SMILES Name\nCCO ethanol\n")
    records, report = read(path)
    assert [(r.sample, r.meta["name"], r.meta["line"]) for r in records] == [("CCO", "ethanol", 2)]


def test_truncated_gzip_keeps_what_was_read_and_reports_the_cut(tmp_path):
    data = gzip.compress(NCI_SMI.read_bytes())
    path = tmp_path / "cut.smi.gz"
    path.write_bytes(data[: len(data) // 2])
    records, report = read(path, validate=False)
    assert 1000 < len(records) < 4999
    cut = report.bad[-1]
    assert "ends early (a truncated copy or download?)" in cut.reason and "(EOFError: Compressed file ended" in cut.reason
    assert cut.meta["line"] == records[-1].meta["line"] + 1  # a partial line is never read as a molecule
    assert [r.sample for r in records] == [r.sample for r in read(NCI_SMI, validate=False)[0]][: len(records)]


def test_sdf_properties_as_targets():
    records, report = read(NCI_SDF, target="AMW")
    assert (len(records), report.n_bad) == (200, 0)
    assert records[0].sample == "CC1=CC(=O)C=CC1=O" and records[0].target == "122.12344"  # the item's text
    assert records[1].meta["line"] > 1 and records[1].meta["index"] == 1
    records, _ = read(NCI_SDF, target=["AMW", "NUM_RINGS"], target_type="float")
    assert records[0].target == pytest.approx([122.12344, 1.0])


def test_sdf_gz_reads_the_same(tmp_path):
    path = tmp_path / "m.sdf.gz"
    path.write_bytes(gzip.compress(NCI_SDF.read_bytes()))
    assert [r.sample for r in read(path)[0]] == [r.sample for r in read(NCI_SDF)[0]]


def test_sdf_broken_molblock_truncated_record_and_missing_property_are_bad_records(tmp_path):
    blocks = NCI_SDF.read_text().split("$$$$\n")
    broken = blocks[1].splitlines()
    broken[5] = "garbage atom line"
    text = blocks[0] + "$$$$\n" + "\n".join(broken) + "\n$$$$\n" + blocks[2] + "$$$$\n"
    path = tmp_path / "bad.sdf"
    path.write_text(text + blocks[3][: len(blocks[3]) - 40])  # the last record cut in its data items
    records, report = read(path, target="AMW")
    assert [r.meta["index"] for r in records] == [0, 2]
    assert [(b.meta["index"], b.reason[:31]) for b in report.bad] == [
        (1, "RDKit cannot read this molecule"), (3, "record not terminated by '$$$$'")]
    assert report.bad[0].meta["line"] == blocks[0].count("\n") + 2  # the first line of record 1
    _, report = read(NCI_SDF, target="no_such_item")
    assert report.n_bad == 200 and "no data item 'no_such_item'; items present: AMW" in report.bad[0].reason


def write_csv(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def test_csv_finds_smiles_column_in_any_case_and_reads_crlf_and_bom(tmp_path):
    path = write_csv(tmp_path, "\ufeffiupac,SMILES,expt\r\nethanol,CCO  ,-5.0\r\nwater,O,-6.3\r\n")
    records, report = read(path, target="expt", target_type="float")
    assert [(r.sample, r.target, r.meta["line"]) for r in records] == [("CCO", -5.0, 2), ("O", -6.3, 3)]


def test_csv_several_targets_and_text_labels(tmp_path):
    path = write_csv(tmp_path, "mol,a,label\nCCO,1.5,active\nCCN,2,inactive\n")
    records, _ = read(path, column="MOL", target=["a", "label"])
    assert [r.target for r in records] == [["1.5", "active"], ["2", "inactive"]]  # the text in the file
    records, _ = read(path, column="MOL", target=["a", "label"], target_type="auto")
    assert [r.target for r in records] == [[1.5, "active"], [2.0, "inactive"]]


def test_the_old_option_names_still_work_with_a_warning(tmp_path):
    path = write_csv(tmp_path, "mol,y\nCCO,1.5\n")
    with pytest.warns(FutureWarning) as caught:
        records, _ = read(path, smiles_column="mol", targets="y")
    said = " ".join(str(w.message) for w in caught)
    assert "reader option 'smiles_column' is now called 'column'" in said and "'targets' is now called 'target'" in said
    assert [(r.sample, r.target) for r in records] == [("CCO", "1.5")]


def test_tsv(tmp_path):
    path = write_csv(tmp_path, "smiles\ty\nCCO\t1\n", name="d.tsv")
    assert read(path, target="y")[0][0].target == "1"


def test_missing_column_lists_the_columns_present(tmp_path):
    path = write_csv(tmp_path, "Compound ID,smiles,measured log solubility\nx,CCO,1\n")
    with pytest.raises(ReaderError) as info:
        read(path, column="smile")
    assert str(info.value) == (f"{path}: no column 'smile'. Columns present: Compound ID, smiles, "
                               "measured log solubility. Pass column=<one of these>.")
    with pytest.raises(ReaderError, match="no column 'logS'. .* Pass target=<one of these>"):
        read(path, target="logS")


def test_csv_without_a_smiles_column_says_what_to_pass():
    with pytest.raises(ReaderError, match=r"first_5k\.tpsa\.csv: cannot tell which column .* Pass column="):
        read(NCI / "first_5k.tpsa.csv")


def test_csv_bad_rows_are_reported_by_line(tmp_path):
    path = write_csv(tmp_path, 'smiles,y\nCCO,1\nC1CC,2\nCCN\n\nCCC,\n"CC\nO",3\nc1ccccc1,4\nCCCl,5,extra\nCCBr,6')
    records, report = read(path, target="y")
    assert [(r.sample, r.meta["line"]) for r in records] == [("CCO", 2), ("c1ccccc1", 9), ("CCBr", 11)]
    assert [(b.meta["line"], b.reason.split(":")[0]) for b in report.bad] == [
        (3, "RDKit cannot parse 'C1CC'"),
        (4, "row has 1 field(s), the header has 2"),
        (5, "empty line"),
        (6, "no target"),
        (7, "'CC\\nO' contains whitespace"),
        (10, "row has 3 field(s), the header has 2"),
    ]


def test_empty_csv_is_a_reader_error(tmp_path):
    with pytest.raises(ReaderError, match="empty.csv: line 1: expected a header"):
        read(write_csv(tmp_path, "", name="empty.csv"))


def test_a_smiles_target_stays_text_and_the_source_is_validated(tmp_path):
    # targets are kept as written: "nan" and "1e5" become numbers only with target_type=auto
    path = write_csv(tmp_path, "id,random,canonical\na,OCC,CCO\nb,C(C)O,nan\nc,C1CC,CCC\nd,N,1e5\n")
    records, report = read(path, column="random", target="canonical")
    assert [(r.sample, r.target) for r in records] == [("OCC", "CCO"), ("C(C)O", "nan"), ("N", "1e5")]
    assert report.n_bad == 1 and report.bad[0].meta["line"] == 4 and "C1CC" in report.bad[0].reason
    auto = [r.target for r in read(path, column="random", target="canonical", target_type="auto")[0]]
    assert auto[0] == "CCO" and auto[1] != auto[1] and auto[2] == 1e5  # nan, and a float


def test_target_type_int_and_float_report_values_of_another_type(tmp_path):
    path = write_csv(tmp_path, "smiles,class\nCCO,3\nCCN,x\nCCC,4\n")
    records, report = read(path, target="class", target_type="int")
    assert [r.target for r in records] == [3, 4] and "column 'class' is not int" in report.bad[0].reason
    with pytest.raises(PolyseqError, match="target_type must be one of str, int, float, auto .*got 'text'"):
        read(path, target="class", target_type="text")


def test_several_molecules_in_one_smiles_are_one_sample(tmp_path):
    path = write_csv(tmp_path, "reactants,product\nCC(=O)Cl.OCC,CCOC(C)=O\nCC(=O)Cl.C1C,CC\n")
    records, report = read(path, column="reactants", target="product")
    assert [(r.sample, r.target) for r in records] == [("CC(=O)Cl.OCC", "CCOC(C)=O")]
    assert report.bad[0].meta["line"] == 3 and "unclosed ring" in report.bad[0].reason


def test_reaction_smiles_are_validated_molecule_by_molecule(tmp_path):
    path = write_csv(tmp_path, "rxn,class\nCC(=O)Cl.OCC>>CCOC(C)=O,2\nCCO>O>CC=O,8\nCCO>>C1C,8\nCCO.CC,1\n>>CC,1\n")
    records, report = read(path, column="rxn", target="class", reaction=True)
    assert [(r.sample, r.target) for r in records] == [("CC(=O)Cl.OCC>>CCOC(C)=O", "2"), ("CCO>O>CC=O", "8")]
    assert [(b.meta["line"], b.reason.split(":")[0]) for b in report.bad] == [
        (4, "products"), (5, "'CCO.CC' is not a reaction SMILES"), (6, "reaction SMILES '>>CC' has no reactants")]
    assert read(path, column="rxn", target="class")[1].n_bad == 4  # without reaction=True only CCO.CC reads


def test_validation_can_be_turned_off(tmp_path):
    path = write_csv(tmp_path, "smiles\nC1CC\n")
    assert [r.sample for r in read(path, validate=False)[0]] == ["C1CC"]


STANDARDIZE_CSV = ("smiles,y\n"
                   "[Na+].[O-]C(=O)[C@@H](N)Cc1ccccc1,1\n"  # a salt: counter-ion, carboxylate, stereocentre
                   "C/C=C/C(=O)O,0\n"                        # double-bond stereo
                   "C[N+](C)(C)C.[Cl-],1\n"                  # a quaternary ammonium: no proton to take away
                   "CC O,0\n"                                # whitespace: RDKit would read 'O' as a name
                   "C1CC,1\n")                               # invalid


def test_standardize_drops_counter_ions_charges_and_stereo_and_reports_what_it_cannot_parse(tmp_path):
    path = write_csv(tmp_path, STANDARDIZE_CSV)
    records, report = read(path, target="y", standardize=True)
    assert [(r.sample, r.target, r.meta["line"]) for r in records] == [
        ("NC(Cc1ccccc1)C(=O)O", "1", 2), ("CC=CC(=O)O", "0", 3), ("C[N+](C)(C)C", "1", 4)]
    assert [(b.meta["line"], b.reason.split(" ")[0]) for b in report.bad] == [(5, "'CC"), (6, "RDKit")]
    stereo_only = [r.sample for r in read(path, target="y", standardize=["remove_stereo"])[0]]
    assert stereo_only[:2] == ["NC(Cc1ccccc1)C(=O)[O-].[Na+]", "CC=CC(=O)O"]
    fragment_only = [r.sample for r in read(path, target="y", standardize="largest_fragment")[0]]
    assert fragment_only[0] == "N[C@@H](Cc1ccccc1)C(=O)[O-]"


def test_standardize_in_smi_and_sdf_readers(tmp_path):
    smi = tmp_path / "m.smi"
    smi.write_text("OC(=O)[C@@H](N)C.Cl alanine\n")
    (record,), _ = read(smi, standardize=True)
    assert (record.sample, record.meta["name"]) == ("CC(N)C(=O)O", "alanine")
    sdf = tmp_path / "m.sdf"
    with Chem.SDWriter(str(sdf)) as writer:
        for smiles in ("[Na+].[O-]C(=O)[C@@H](N)C", "C/C=C\\C"):
            writer.write(Chem.MolFromSmiles(smiles))
    assert [r.sample for r in read(sdf)[0]] == ["C[C@H](N)C(=O)[O-].[Na+]", "C/C=C\\C"]
    assert [r.sample for r in read(sdf, standardize=True)[0]] == ["CC(N)C(=O)O", "CC=CC"]


def test_standardize_option_errors_name_the_option_and_the_steps(tmp_path):
    path = write_csv(tmp_path, STANDARDIZE_CSV)
    with pytest.raises(PolyseqError, match="standardize: unknown step.*'tautomers'.*largest_fragment, neutralize, remove_stereo"):
        read(path, standardize=["remove_stereo", "tautomers"])
    with pytest.raises(PolyseqError, match="standardize must be true, false or a list"):
        read(path, standardize=3)
    with pytest.raises(PolyseqError, match="not reaction SMILES"):
        read(path, reaction=True, standardize=True)


def test_unknown_reader_option_is_named():
    with pytest.raises(PolyseqError, match="(unknown option|takes no .target. option)"):
        read(NCI_SMI, target="x")


@pytest.mark.parametrize(
    ("sample", "reason"),
    [("C1CC(", "syntax error while parsing"), ("CN(C)(C)(C)C", "Explicit valence"), ("", "empty SMILES"),
     ("CC O", "contains whitespace"), (42, "must be a string")],
    ids=["syntax", "valence", "empty", "space", "not-a-string"],
)
def test_validator_gives_rdkit_reason(sample, reason):
    assert reason in validate_smiles(sample)


def test_writer_round_trips_through_the_reader(tmp_path):
    paths = write_smi(["CCO", "C1CC", "c1ccccc1"], tmp_path / "out" / "gen.smi")
    assert paths == [tmp_path / "out" / "gen.smi"]
    records, report = read(paths[0])
    assert [r.sample for r in records] == ["CCO", "c1ccccc1"] and report.bad[0].meta["line"] == 2
    with pytest.warns(UserWarning, match="2 sample\\(s\\) held line breaks"):  # generated output is never lost
        write_smi(["CCO", "CC\nO", "C\rC"], tmp_path / "x.smi")
    assert (tmp_path / "x.smi").read_text(encoding="utf-8").splitlines() == ["CCO", "CC\ufffdO", "C\ufffdC"]


def test_domain_writer_and_parse_text():
    assert DOMAIN.part("writer") is write_smi
    assert DOMAIN.parse_text("  CCO \n") == parse_text("CCO") == "CCO"


def test_example_files_cover_every_reader(tmp_path):
    files = DOMAIN.part("example_files")(tmp_path)
    assert sorted(os.path.splitext(f)[1] for f in files) == sorted(DOMAIN.readers)
    assert [r.target for r in read_csv(files[2], target="logS")][:2] == ["0.0", "-0.5"]
