"""The core's reader blocks: tables, JSON Lines and FASTA-like files, and the factories domains use.

Each helper gets a file of good and malformed records mixed: every good record comes back, each
bad one is one BadRecord with its line, and nothing raises. The RNA mini-domain at the end is the
proof of the design: three readers with labels in a few lines, its dot-bracket structure a tag target.
"""

import csv
import gzip
import inspect
import json

import pytest

import polyseq
from polyseq import BadRecord, ConfigError, Domain, ReaderError, Record, hookimpl, plugins
from polyseq.cli import main
from polyseq.records import BadRecordWarning


def split(items):
    items = list(items)
    return [r for r in items if isinstance(r, Record)], [b for b in items if isinstance(b, BadRecord)]


def write(path, text):
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


# ---- read_table ----------------------------------------------------------------------------------

MIXED_CSV = (b'id,sequence,label\n'
             b'a,ACGT,x\n'              # 2 good
             b'b,,x\n'                  # 3 empty sample
             b'c,AC\xffGT,y\n'          # 4 undecodable byte
             b'\n'                      # 5 blank line
             b'd,GG\n'                  # 6 too few fields
             b'e,TT,x,extra\n'          # 7 too many fields
             b'f,CC,\n'                 # 8 empty target
             b'g,"A\nC",z\n'            # 9-10 a quoted field over two lines: good
             b'h,"GG"x,y\n'             # 11 bad quoting
             b'i,TTAA,w\n')             # 12 good


def test_table_keeps_every_good_row_and_reports_each_bad_one_with_its_line(tmp_path):
    path = write(tmp_path / "mixed.csv", MIXED_CSV)
    good, bad = split(polyseq.read_table(path, column="sequence", target="label"))
    assert [(r.sample, r.target, r.meta) for r in good] == [
        ("ACGT", "x", {"source": str(path), "line": 2}), ("A\nC", "z", {"source": str(path), "line": 9}),
        ("TTAA", "w", {"source": str(path), "line": 12})]
    assert [(b.meta["line"], b.reason.split(" (")[0]) for b in bad] == [
        (3, "no sample: column 'sequence' is empty"), (4, "not valid UTF-8 text"), (5, "empty line"),
        (6, "row has 2 field(s), the header has 3"), (7, "row has 4 field(s), the header has 3"),
        (8, "no target: empty column 'label'"), (11, "not valid CSV")]


def test_table_gzip_reads_the_same_whatever_its_name(tmp_path):
    plain = write(tmp_path / "mixed.csv", MIXED_CSV)
    expected = [(r.sample, r.target, r.meta["line"]) for r in polyseq.read_table(plain, target="label")
                if isinstance(r, Record)]
    for name in ("mixed.csv.gz", "gzipped-anyway.csv"):
        path = write(tmp_path / name, gzip.compress(MIXED_CSV))
        got = [(r.sample, r.target, r.meta["line"]) for r in polyseq.read_table(path, target="label")
               if isinstance(r, Record)]
        assert got == expected


def test_table_cut_gzip_keeps_the_rows_before_the_cut(tmp_path):
    data = gzip.compress(("sequence\n" + "ACGT\n" * 20_000).encode())
    path = write(tmp_path / "cut.csv.gz", data[: len(data) // 2])
    good, bad = split(polyseq.read_table(path))
    assert 100 < len(good) < 20_000 and len(bad) == 1
    assert "the compressed file ends early" in bad[0].reason and bad[0].meta["line"] == good[-1].meta["line"] + 1


def test_missing_column_is_a_reader_error_naming_file_column_and_columns_present(tmp_path):
    path = write(tmp_path / "esol.csv", "Compound ID,smiles,measured log solubility\nx,CCO,1\n")
    with pytest.raises(ReaderError) as info:
        list(polyseq.read_table(path, column="smile"))
    assert str(info.value) == (f"{path}: no column 'smile'. Columns present: Compound ID, smiles, "
                               "measured log solubility. Pass column=<one of these>.")
    with pytest.raises(ReaderError, match=r"no column 'logS'\. Columns present: .* Pass target="):
        list(polyseq.read_table(path, column="smiles", target="logS"))
    with pytest.raises(ReaderError, match=r"line 1: expected a header line naming the columns \(the file is empty\)"):
        list(polyseq.read_table(write(tmp_path / "empty.csv", "")))


@pytest.mark.parametrize(("header", "names", "expected"), [
    ("id,SMILES,logS", ("smiles",), "SMILES"),          # a name of sample_names, any case
    ("id,canonical_smiles,logS", ("smiles",), "canonical_smiles"),  # the only one containing it
    ("seq_id,Sequence,label", ("sequence", "seq"), "Sequence"),     # exact names before substrings
    ("text,label", (), "text"),                         # no sample_names: the first column
], ids=["any-case", "contains", "exact-first", "first-column"])
def test_default_column_rule(tmp_path, header, names, expected):
    path = write(tmp_path / "t.csv", header + "\n" + ",".join(f"v{i}" for i in range(header.count(",") + 1)) + "\n")
    (record,) = polyseq.read_table(path, sample_names=names)
    assert record.sample == "v" + str(header.split(",").index(expected))


def test_default_column_that_cannot_be_told_is_an_error_saying_what_to_pass(tmp_path):
    path = write(tmp_path / "t.csv", "id,smiles_a,smiles_b\nx,C,O\n")
    with pytest.raises(ReaderError, match=r"cannot tell which column holds the samples: none is named 'smiles'\. "
                                          r"Columns present: id, smiles_a, smiles_b\. Pass column="):
        list(polyseq.read_table(path, sample_names=("smiles",)))


def test_several_targets_types_and_headerless_positions(tmp_path):
    path = write(tmp_path / "t.tsv", "smiles\tlogp\ttpsa\tname\nCCO\t-0.3\t20.2\tethanol\nO\tx\t25\twater\n")
    good, bad = split(polyseq.read_table(path, target=["logp", "tpsa"], meta_fields=("name",)))
    assert [(r.target, r.meta["name"]) for r in good] == [(["-0.3", "20.2"], "ethanol"), (["x", "25"], "water")]
    good, bad = split(polyseq.read_table(path, target=["logp", "tpsa"], target_type="float"))
    assert [r.target for r in good] == [[-0.3, 20.2]] and bad[0].meta["line"] == 3
    assert "target 'x' in column 'logp' is not float" in bad[0].reason
    assert [r.target for r in polyseq.read_table(path, target="name", target_type="auto")] == ["ethanol", "water"]
    headerless = write(tmp_path / "sms.tsv", "ham\tsee you\nspam\tWIN\tnow\n\nham\n")
    good, bad = split(polyseq.read_table(headerless, header=False, column=1, target=0, join_extra=True))
    assert [(r.sample, r.target) for r in good] == [("see you", "ham"), ("WIN\tnow", "spam")]
    assert [(b.meta["line"], b.reason) for b in bad] == [
        (3, "empty line"), (4, "row has 1 field(s), column 1 was asked for")]
    with pytest.raises(ConfigError, match="column must be a column position"):
        list(polyseq.read_table(headerless, header=False, column="text"))
    with pytest.raises(ConfigError, match="target_type must be one of str, int, float, auto"):
        list(polyseq.read_table(path, target="logp", target_type="number"))


def test_a_tsv_is_unquoted_and_a_csv_quoted(tmp_path):
    path = write(tmp_path / "q.tsv", 'text\tlabel\n"quoted" and not\tx\n')
    assert [r.sample for r in polyseq.read_table(path)] == ['"quoted" and not']
    path = write(tmp_path / "q.csv", 'text,label\n"a, b",x\n')
    assert [r.sample for r in polyseq.read_table(path)] == ["a, b"]


def test_convert_and_check_turn_failures_into_bad_records(tmp_path):
    path = write(tmp_path / "n.csv", "value\n12\nx\n-3\n")

    def to_int(text):
        return int(text)  # ValueError for "x", with int()'s own message

    good, bad = split(polyseq.read_table(path, convert=to_int, check=lambda n: "negative" if n < 0 else None))
    assert [(r.sample, r.meta["line"]) for r in good] == [(12, 2)]
    assert [(b.meta["line"], b.reason) for b in bad] == [(3, "invalid literal for int() with base 10: 'x'"),
                                                         (4, "negative")]


# ---- read_jsonl ----------------------------------------------------------------------------------


def test_jsonl_keeps_good_objects_and_reports_each_bad_line(tmp_path):
    lines = ['{"text": "a", "label": 0.5, "id": 7}', '{"text": ', "", "[1, 2]", '{"label": 1}',
             '{"text": "", "label": 1}', '{"text": "b", "label": null}', '{"text": "c", "label": "x"}']
    path = write(tmp_path / "d.jsonl", "\n".join(lines) + "\n")
    good, bad = split(polyseq.read_jsonl(path, column="text", target="label", meta_fields=("id",)))
    assert [(r.sample, r.target, r.meta) for r in good] == [
        ("a", 0.5, {"source": str(path), "line": 1, "id": 7}), ("c", "x", {"source": str(path), "line": 8})]
    assert [(b.meta["line"], b.reason.split(" (")[0].split(":")[0]) for b in bad] == [
        (2, "not valid JSON"), (3, "empty line"), (4, "expected a JSON object, got array"), (5, "no field 'text'"),
        (6, "field 'text' is empty or not a string"), (7, "no target")]
    gz = write(tmp_path / "d.jsonl.gz", gzip.compress(path.read_bytes()))
    assert [r.sample for r in polyseq.read_jsonl(gz, column="text", target="label") if isinstance(r, Record)] == [
        "a", "c"]


def test_jsonl_first_object_fixes_the_fields(tmp_path):
    path = write(tmp_path / "m.jsonl", '{"problem": "x", "subject": "Algebra"}\n{"problem": "y"}\n')
    with pytest.raises(ReaderError, match=r"m.jsonl:1: no field 'formula'. Fields present: problem, subject"):
        list(polyseq.read_jsonl(path, column="formula"))
    good, bad = split(polyseq.read_jsonl(path, target="subject"))  # column=None: the first field
    assert [(r.sample, r.target) for r in good] == [("x", "Algebra")]
    assert bad[0].meta["line"] == 2 and bad[0].reason.startswith("no field 'subject'")


def test_jsonl_convert_and_check(tmp_path):
    path = write(tmp_path / "s.jsonl", "".join(json.dumps({"seq": s}) + "\n" for s in ["acgt", "ACXT", "gg"]))
    good, bad = split(polyseq.read_jsonl(path, convert=str.upper,
                                         check=lambda s: None if set(s) <= set("ACGT") else f"bad letters in {s}"))
    assert [r.sample for r in good] == ["ACGT", "GG"] and [(b.meta["line"], b.reason) for b in bad] == [
        (2, "bad letters in ACXT")]


# ---- read_fasta_like -----------------------------------------------------------------------------

MIXED_FASTA = (b"junk before the first header\n"     # 1 text before the first header
               b">s1 label=tata gc=0.4\nACGT\nAC\n"   # 2 good, sequence on two lines
               b">s2 label=none\n"                    # 5 no body
               b">s3\nACGT\n"                         # 6 no label
               b">s4 label=cpg\nAC\xffGT\n"           # 8 undecodable
               b">s5 label=tata\n\nGGCC\n\n"          # 10 good, blank lines skipped
               b">s6 label=cpg\nacgu\n")              # 14 fails the check


def check_dna(sample):
    return None if set(sample) <= set("ACGT") else f"letters other than ACGT in {sample!r}"


def test_fasta_like_keeps_good_entries_and_reports_bad_ones_at_their_header_line(tmp_path):
    path = write(tmp_path / "mixed.fa", MIXED_FASTA)
    good, bad = split(polyseq.read_fasta_like(path, target="label", check=check_dna))
    assert [(r.sample, r.target, r.meta) for r in good] == [
        ("ACGTAC", "tata", {"source": str(path), "line": 2, "id": "s1", "description": "label=tata gc=0.4"}),
        ("GGCC", "tata", {"source": str(path), "line": 10, "id": "s5", "description": "label=tata"})]
    assert [(b.meta["line"], b.reason.split(":")[0].split(" (")[0]) for b in bad] == [
        (1, "text before the first '>' header line"), (5, "no body lines after the header"),
        (6, "no field 'label'"), (8, "not valid UTF-8 text"), (14, "letters other than ACGT in 'acgu'")]
    gz = write(tmp_path / "mixed.fa.gz", gzip.compress(MIXED_FASTA))
    assert [r.sample for r in polyseq.read_fasta_like(gz, target="label") if isinstance(r, Record)] == [
        r.sample for r in polyseq.read_fasta_like(path, target="label") if isinstance(r, Record)]


def test_fasta_header_fields_by_key_and_by_position(tmp_path):
    path = write(tmp_path / "u.fa", ">sp|P69905|HBA_HUMAN Hemoglobin alpha OS=Homo\nMVLS\n")
    (record,) = polyseq.read_fasta_like(path, target=1, meta_fields=("OS",))
    assert (record.target, record.meta["id"], record.meta["OS"]) == ("P69905", "sp|P69905|HBA_HUMAN", "Homo")
    assert [r.target for r in polyseq.read_fasta_like(path, target=["OS", 2])] == [
        ["Homo", "HBA_HUMAN Hemoglobin alpha OS=Homo"]]
    with pytest.raises(ReaderError, match=r"u.fa:1: no field 'label' in the first entry. Fields present: id, "
                                          r"description, OS, 0, 1, 2, sequence"):
        list(polyseq.read_fasta_like(path, target="label"))


def test_a_file_without_header_lines_is_a_reader_error(tmp_path):
    with pytest.raises(ReaderError, match=r"not.fa: no '>' header line \(text before the first '>' header line"):
        list(polyseq.read_fasta_like(write(tmp_path / "not.fa", "hello\nworld\n")))
    with pytest.raises(ReaderError, match=r"empty.fa: no '>' header line \(the file is empty\)"):
        list(polyseq.read_fasta_like(write(tmp_path / "empty.fa", "")))


# ---- factories -----------------------------------------------------------------------------------


def test_factories_show_the_standard_options_with_their_defaults_and_fix_the_code():
    reader = polyseq.table_reader(sample_names=("smiles",), target_type="float", check=check_dna)
    params = inspect.signature(reader).parameters
    assert list(params)[:4] == ["path", "column", "target", "target_type"]
    assert params["target_type"].default == "float" and params["sample_names"].default == ("smiles",)
    assert "check" not in params and "convert" not in params  # code, not a user option
    assert "parse_entry" not in inspect.signature(polyseq.fasta_reader()).parameters
    assert inspect.signature(polyseq.jsonl_reader(column="text")).parameters["column"].default == "text"
    with pytest.raises(ConfigError, match="unknown option"):
        reader("x.csv", check=None)
    with pytest.raises(polyseq.PluginError, match="table_reader: unknown option.* windw"):
        polyseq.table_reader(windw=3)


# ---- an RNA domain on these blocks: FASTA, dot-bracket and CSV with labels ---------------------------
# (examples/polyseq-rna is the full plugin; this one is the test's own, so the check does not depend on it)

def validate_rna(sample):
    bad = sorted(set(sample) - set("ACGU"))
    return f"not RNA letters: {''.join(bad)}" if bad else None


def dot_bracket(header, lines):
    """A .dbn entry: a sequence line, then its structure of the same length (one symbol per base)."""
    if len(lines) != 2:
        raise ValueError(f"expected a sequence line and a structure line, got {len(lines)} line(s)")
    sequence, structure = lines[0], lines[1].split()[0]  # a free energy may follow the structure
    if len(structure) != len(sequence):
        raise ValueError(f"structure of {len(structure)} symbols for a sequence of {len(sequence)} bases")
    return {"sequence": sequence, "structure": structure}


RNA = Domain(
    name="rna_mini", description="RNA with secondary structures (test domain on the core readers)",
    tokenizers={"base": "polyseq.tokenizers.char:CharTokenizer"}, default_tokenizer="base",
    readers={".fa": polyseq.fasta_reader(check=validate_rna),
             ".dbn": polyseq.fasta_reader(parse_entry=dot_bracket, check=validate_rna),
             ".csv": polyseq.table_reader(sample_names=("sequence",), check=validate_rna)},
    validator=validate_rna, examples=("GGGAAACCC",),
)


class RnaPlugin:
    @hookimpl
    def register_domains(self, register):
        register(RNA)


@pytest.fixture
def rna():
    name = plugins.register(RnaPlugin(), name="rna-mini-tests")
    yield polyseq.get_domain("rna_mini")
    plugins.unregister(name)


def hairpins(n, seed=0):
    import random

    rng = random.Random(seed)
    out = []
    for i in range(n):
        stem = "".join(rng.choice("ACGU") for _ in range(rng.randint(3, 6)))
        loop = "".join(rng.choice("ACGU") for _ in range(rng.randint(3, 5)))
        pair = {"A": "U", "U": "A", "G": "C", "C": "G"}
        tail = "".join(rng.choice("ACGU") for _ in range(rng.randint(0, 4)))
        seq = stem + loop + "".join(pair[b] for b in reversed(stem)) + tail
        out.append((f"h{i} family={'long' if len(stem) > 4 else 'short'}", seq,
                    "(" * len(stem) + "." * len(loop) + ")" * len(stem) + "." * len(tail)))
    return out


def test_an_rna_domain_reads_fasta_dot_bracket_and_csv_with_labels(rna, tmp_path):
    fa = write(tmp_path / "r.fa", ">r1 family=tRNA\nGGGA\nAACCC\n>r2 family=rRNA\nGGTT\n")
    report = polyseq.ReadReport()
    assert [(r.sample, r.target) for r in rna.read(fa, report=report, target="family")] == [("GGGAAACCC", "tRNA")]
    assert [(b.where, b.reason) for b in report.bad] == [(f"{fa}:4", "not RNA letters: T")]
    dbn = write(tmp_path / "r.dbn", ">h1\nGGGAAACCC\n(((...))) (-1.2)\n>h2\nGGGAAACC\n(((...)))\n>h3\nGGAC\n")
    records = list(polyseq.read_fasta_like(dbn, target="structure", parse_entry=dot_bracket))
    assert [(r.sample, r.target) for r in records if isinstance(r, Record)] == [("GGGAAACCC", "(((...)))")]
    assert [(b.meta["line"], b.reason) for b in records if isinstance(b, BadRecord)] == [
        (4, "structure of 9 symbols for a sequence of 8 bases"),
        (7, "expected a sequence line and a structure line, got 1 line(s)")]
    csv_path = write(tmp_path / "r.csv", "name,sequence,family\na,GGGAAACCC,tRNA\nb,GGTT,rRNA\n")
    with pytest.warns(BadRecordWarning, match="r.csv:3: not RNA letters: T"):
        assert [(r.sample, r.target) for r in rna.read(csv_path, target="family")] == [("GGGAAACCC", "tRNA")]
    with pytest.warns(FutureWarning, match="reader option 'label' is now called 'target'"), \
            pytest.warns(BadRecordWarning, match="not RNA letters"):
        assert [r.target for r in rna.read(csv_path, label="family")] == ["tRNA"]


def test_an_rna_structure_is_a_tag_target_for_polyseq_fit(rna, tmp_path, monkeypatch):
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / "cache"))
    dbn = tmp_path / "hairpins.dbn"
    dbn.write_text("".join(f">{h}\n{s}\n{t}\n" for h, s, t in hairpins(64)))
    out = tmp_path / "run"
    argv = ["fit", "--data.domain=rna_mini", f"--data.train={dbn}", "--data.task=tag", "--data.target=structure",
            "--data.batch_size=8", "--model.d_model=16", "--model.n_layers=1", "--model.n_heads=2",
            "--trainer.max_steps=2", "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false",
            f"--trainer.default_root_dir={out}", f"--trainer.logger.init_args.save_dir={out}"]
    assert main(argv) == 0
    ckpt = next(out.rglob("last.ckpt"))
    preds = tmp_path / "pred.csv"
    assert main(["predict", "--ckpt", str(ckpt), "--input", str(dbn), "--out", str(preds),
                 "-r", "target=structure"]) == 0
    rows = list(csv.DictReader(open(preds)))
    assert len(rows) == 64 and all(len(r["prediction"]) == len(r["target"]) for r in rows)
    assert set("".join(r["prediction"] for r in rows)) <= set("().")


def test_sample_size_is_the_stored_length_asked_of_the_sample_where_it_can_say():
    from polyseq.records import sample_as_bytes, sample_size, stored_size

    class Sized:  # says its size: bytes() is never made
        def __bytes__(self):
            raise AssertionError("bytes() made although the sample gives stored_size()")

        def stored_size(self):
            return 7

    class Written:  # only a byte form
        def __bytes__(self):
            return b"\x00\x01\x02"

    for text in ["", "ACGT", "naïve 日本", "\ud800 lone surrogate"]:
        assert sample_size(text) == len(sample_as_bytes(text))
    assert sample_size(b"abc") == 3 and sample_size(Sized()) == 7 and sample_size(Written()) == 3
    assert sample_size(["not", "stored"]) is None
    assert stored_size(["ab", Sized(), Written()]) == 12
    assert stored_size(["ab", object()]) == 0  # one sample without a byte form: bits per byte unreported
