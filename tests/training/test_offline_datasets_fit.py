"""A tiny `polyseq fit` on every offline catalog dataset: the same loop serves every domain and task."""

import sys

import pytest

from polyseq.cli import main

CASES = [
    ("pydoc_topics", "lm", []),
    ("python_stdlib", "lm", []),
    ("sympy_formulas", "classify", []),
    ("dna_motifs", "classify", ["--data.tokenizer=kmer", "--data.tokenizer_options={k: 3}"]),
    ("dna_motifs", "lm", []),
    ("nci_properties", "regress", []),
    ("midi_scales", "lm", []),
]


@pytest.mark.parametrize(("dataset", "task", "extra"), CASES, ids=[f"{d}-{t}" for d, t, _ in CASES])
@pytest.mark.parametrize("backbone", ["transformer", "rnn"])
def test_tiny_fit_on_offline_dataset(dataset, task, extra, backbone, tmp_path, monkeypatch):
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / "cache"))
    argv = ["fit", f"--data.dataset={dataset}", f"--data.task={task}", *extra, "--data.max_length=64",
            "--data.batch_size=4", f"--model.backbone={backbone}", "--model.d_model=16", "--model.n_layers=1",
            "--model.n_heads=2", "--trainer.fast_dev_run=true", "--trainer.enable_progress_bar=false",
            "--trainer.enable_model_summary=false", f"--trainer.default_root_dir={tmp_path}"]
    assert main(argv) == 0


def test_bach_chorales_need_music21_and_say_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(sys.modules, "music21", None)  # as on a machine without the optional extra
    argv = ["fit", "--data.dataset=bach_chorales", "--trainer.fast_dev_run=true", f"--trainer.default_root_dir={tmp_path}"]
    assert main(argv) == 2
    assert "music21" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("domain", "filename", "content"),
    [
        ("text", "sms.csv", "text,label\n" + "".join(f"win a prize now {i},spam\nsee you at lunch {i},ham\n" for i in range(20))),
        ("dna", "seqs.csv", "sequence,label\n" + "ACGTTATAAAAGGC,1\nACGTGGCCGGCCAA,0\n" * 20),
        ("smiles", "mols.csv", "smiles,label\n" + "".join(f"{s},{c}\n" for s, c in [("CCO", "a"), ("c1ccccc1", "b")] * 20)),
    ],
    ids=["text", "dna", "smiles"],
)
def test_data_target_reaches_each_domains_reader(domain, filename, content, tmp_path, monkeypatch):
    """--data.target reaches each domain's table reader as its `target` option."""
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / "cache"))
    path = tmp_path / filename
    path.write_text(content)
    argv = ["fit", f"--data.domain={domain}", f"--data.train={path}", "--data.task=classify", "--data.target=label",
            "--data.batch_size=4", "--model.d_model=16", "--model.n_layers=1", "--model.n_heads=2",
            "--trainer.fast_dev_run=true", "--trainer.enable_progress_bar=false", f"--trainer.default_root_dir={tmp_path}"]
    assert main(argv) == 0
