"""`polyseq tokenize` and `polyseq plugins` end to end, in process."""

import json

import pytest

from polyseq.cli import main


def test_plugins_lists_core_tokenizers_domains_and_provenance(capsys):
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "bytes" in out and "char" in out and "[polyseq 0.1.0]" in out
    assert "protein" in out and "polyseq-protein 0.1.0" in out, "install examples/polyseq-protein (see README)"
    assert "readers: .fa .faa .fasta" in out


def test_plugins_json_is_machine_readable(capsys):
    assert main(["plugins", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    protein = next(d for d in info["domains"] if d["name"] == "protein")
    assert protein["distribution"] == "polyseq-protein 0.1.0" and protein["default_tokenizer"] == "residue"
    assert {t["name"] for t in info["tokenizers"]} >= {"bytes", "char"}


def test_tokenize_text_prints_tokens_and_ids(capsys):
    assert main(["tokenize", "--domain", "protein", "MKB"]) == 0
    out = capsys.readouterr().out
    assert "tokens: M K B" in out
    assert "ids:    " in out


def test_tokenize_check_and_json(capsys):
    assert main(["tokenize", "--domain", "protein", "--json", "--check", "gIVEq"]) == 0
    captured = capsys.readouterr()
    entry = json.loads(captured.out)
    assert entry["tokens"] == list("GIVEQ") and entry["round_trip"] is True
    assert "round trip: 1/1 records exact" in captured.err


def test_tokenize_file_reports_bad_records_and_strict_fails(tmp_path, capsys):
    fasta = tmp_path / "p.fasta"
    fasta.write_text(">a\nMKTAY\n>b\nMK1\n>c\nGIVE\n")
    assert main(["tokenize", "--domain", "protein", "--file", str(fasta)]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("tokens:") == 2
    assert f"{fasta}:3: letters outside the protein alphabet" in captured.err
    assert main(["tokenize", "--domain", "protein", "--strict", "--file", str(fasta)]) == 2
    assert f"{fasta}:3" in capsys.readouterr().err


def test_learned_tokenizer_is_trained_on_input_and_saved(tmp_path, capsys):
    out = tmp_path / "char.json"
    assert main(["tokenize", "--domain", "protein", "--tokenizer", "char", "--save-tokenizer", str(out), "MKTAY"]) == 0
    capsys.readouterr()
    assert main(["tokenize", "--domain", "protein", "--tokenizer-file", str(out), "--check", "MKT"]) == 0
    assert json.loads(out.read_text())["type"] == "char"


def test_tokenizer_sample_trains_on_that_many_records_and_needs_a_learned_tokenizer(tmp_path, capsys):
    fasta = tmp_path / "p.fasta"
    fasta.write_text("".join(f">p{i}\n{c * 4}\n" for i, c in enumerate("ACDEFGHIKL")))  # one residue a record
    saved = tmp_path / "char.json"
    argv = ["tokenize", "--domain", "protein", "--tokenizer", "char", "--file", str(fasta), "--save-tokenizer", str(saved)]
    assert main([*argv, "--tokenizer-sample", "3"]) == 0
    assert len(json.loads(saved.read_text())["config"]["chars"]) == 3
    assert main(argv) == 0
    assert len(json.loads(saved.read_text())["config"]["chars"]) == 10
    capsys.readouterr()
    assert main(["tokenize", "--domain", "protein", "--file", str(fasta), "--tokenizer-sample", "3"]) == 2
    assert "--tokenizer-sample 3: tokenizer 'protein.residue' does not learn" in capsys.readouterr().err
    assert main([*argv, "--tokenizer-sample", "0"]) == 2
    assert "--tokenizer-sample must be >= 1" in capsys.readouterr().err


def test_tokenizer_sample_with_compare_samples_the_learned_ones(tmp_path, capsys):
    fasta = tmp_path / "p.fasta"
    fasta.write_text("".join(f">p{i}\n{c * 4}\n" for i, c in enumerate("ACDEFGHIKL")))
    argv = ["tokenize", "--domain", "protein", "--file", str(fasta), "--tokenizer-sample", "3"]
    assert main([*argv, "--compare", "residue,char"]) == 0  # char trains on 3 records, residue learns nothing
    capsys.readouterr()
    assert main([*argv, "--compare", "residue"]) == 2
    assert "none of the --compare tokenizers learns" in capsys.readouterr().err


def test_check_exits_1_on_a_mismatch(tmp_path, capsys):
    saved = tmp_path / "char.json"
    assert main(["tokenize", "--domain", "protein", "--tokenizer", "char", "-o", "fallback=unk", "--save-tokenizer", str(saved), "MK"]) == 0
    capsys.readouterr()
    # a vocabulary learned from "MK" without the byte fallback has no "Z": the round trip must be reported as broken
    assert main(["tokenize", "--domain", "protein", "--tokenizer-file", str(saved), "--check", "MKZ"]) == 1
    captured = capsys.readouterr()
    assert "round trip: MISMATCH" in captured.out and "round trip: 0/1 records exact" in captured.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["tokenize", "--domain", "protien", "MK"], "no domain 'protien'"),
        (["tokenize", "--domain", "protein", "--tokenizer", "residu", "MK"], "Did you mean 'residue'?"),
        (["tokenize", "--domain", "protein", "-o", "extnded=false", "MK"], "unknown option(s) extnded"),
        (["tokenize", "--domain", "protein", "-o", "novalue", "MK"], "-o 'novalue': expected KEY=VALUE"),
        (["tokenize", "--domain", "protein"], "give either TEXT, --file PATH or --dataset NAME"),
        (["tokenize", "--domain", "protein", "--file", "/nonexistent/x.fasta"], "/nonexistent/x.fasta: no such file"),
        (["tokenize", "--domain", "protein", "--file", "notes.docx"], "no reader for this file type"),
    ],
    ids=["unknown-domain", "unknown-tokenizer", "unknown-option", "bad-option", "no-input", "missing-file", "bad-suffix"],
)
def test_user_errors_exit_2_with_a_message_and_no_traceback(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.docx").write_text("x")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_tokenize_a_catalog_dataset_by_name(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / "cache"))
    assert main(["tokenize", "--dataset", "dna_motifs", "--tokenizer", "kmer", "-o", "k=3", "--limit", "3", "--check"]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("tokens:") == 3 and "motifs.csv:2" in captured.out
    assert "round trip: 3/3 records exact" in captured.err
    assert main(["tokenize", "--dataset", "dna_motifs", "--domain", "smiles", "--limit", "1"]) == 2
    assert "is a 'dna' dataset" in capsys.readouterr().err
